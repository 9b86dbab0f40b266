from cimaise.cli import main

main()
