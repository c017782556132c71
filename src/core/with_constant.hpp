// A run-time choice made a template argument: f.template operator()<V>() for the V among
// Values equal to v, so that the loop inside f is compiled (and vectorised) once per choice.
#pragma once

namespace nm {

template<auto... Values, class T, class F>
void with_constant(T v, F&& f) {
    ((v == Values && (f.template operator()<Values>(), true)) || ...);
}

} // namespace nm
