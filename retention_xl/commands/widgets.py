"""``retention-xl app``: the widgets as a code-free web page (Voila), what ``make run`` starts."""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "app", help="open the point-and-click app in the browser (Voila, on this computer only)",
        description="Serve the retention calculator, the what-if explorer and the data view "
                    "on 127.0.0.1 until Ctrl+C.")
    p.add_argument("--port", type=int, default=None, help="port to use (default: a free one)")
    p.add_argument("--folder", default=None,
                   help="folder of notebooks to serve (default: ./widgets, else the built-in ones)")
    p.add_argument("--no-browser", action="store_true", help="only print the address")
    p.set_defaults(handler=_app)


def _app(args) -> int:
    from ..widgets.launch import main  # Voila loads only in its own process

    return main(folder=args.folder, port=args.port,
                open_browser=False if args.no_browser else None)
