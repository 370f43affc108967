from bugbridge.cli import main

main()
