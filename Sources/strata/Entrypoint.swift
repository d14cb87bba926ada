import StrataCommands

/// The thin entry point; the commands live in StrataCommands.
@main
struct Entrypoint {
    static func main() async {
        await StrataCommand.main()
    }
}
