"""One module per ``run.py`` sub-command. Each defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; ``realtime.cli`` lists them."""
