// neuromorph: the command-line entry point. Exit codes: 0 done, 2 bad input (nm::error or bad
// arguments), 1 an internal error.
#include "commands.hpp"

#include <nm/errors.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    CLI::App app{"neuromorph: simulate, train, encode and cost spiking neural networks"};
    app.set_version_flag("--version", "neuromorph 0.1.0");
    app.require_subcommand(1);
    nm::cli::command run;
    nm::cli::add_simulate(app, run);
    nm::cli::add_train(app, run);
    nm::cli::add_encode(app, run);
    nm::cli::add_cost(app, run);
    nm::cli::add_models(app, run);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    }
    try {
        return run();
    } catch (const nm::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "internal error: %s\n(this is a bug in neuromorph; please report it)\n",
                     e.what());
        return 1;
    }
}
