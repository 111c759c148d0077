from quanzi.cli import main

main()
