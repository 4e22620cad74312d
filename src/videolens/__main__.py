from videolens.cli import main

main()
