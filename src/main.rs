fn main() -> std::process::ExitCode {
    konto::cli::main()
}
