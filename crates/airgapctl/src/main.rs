fn main() {
    std::process::exit(airgapctl::main_entry());
}
