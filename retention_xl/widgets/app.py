"""The code-free app: the four widgets in tabs (served by ``retention-xl app``).

:class:`App` is the widget the app's page shows; the launcher that serves it
(``retention-xl app``, ``make run``) lives in :mod:`retention_xl.widgets.launch`,
whose names are also reachable from here.
"""

from __future__ import annotations

import os

import ipywidgets as widgets

from .calculator import RetentionCalculator
from .launch import (APP_NOTEBOOK, CULL_IDLE_SECONDS, CULL_INTERVAL_SECONDS,  # noqa: F401
                     NOTEBOOKS, PRELOADED_PAGES, TEMPLATE, TEMPLATE_ROOT, VoilaServer,
                     free_port, main, notebook_json, write_notebooks)

__all__ = ["App", "NOTEBOOKS", "write_notebooks", "free_port", "VoilaServer", "main"]


#: The app's tabs in order: attribute, title, module and class of the widget.
TABS = (
    ("calculator", "Retention calculator", "calculator", "RetentionCalculator"),
    ("what_if", "What is better retention worth?", "whatif", "WhatIf"),
    ("from_data", "From your data", "from_data", "FromData"),
    ("forecast", "Where is this group heading?", "forecast", "GroupForecast"),
)
#: With ``App(later=True)``: seconds after the first tab is shown before the others are built.
LATER_SECONDS = 2.0
#: Voila sets this (to "True") in the environment of a kernel it preloads for a page.
PRELOADED_KERNEL = "VOILA_PREHEAT"


class App(widgets.VBox):
    """The calculator, the what-if explorer, the data view and the forecast, in four tabs.

    Parameters
    ----------
    later : bool
        Build only the first tab now and the others a moment later (on the
        kernel's event loop, :data:`LATER_SECONDS` after), or at once when a
        person opens one of them. The served app does so: its page is usable
        sooner, since the first tab costs a tenth of the four. In a kernel Voila
        preloads (no page yet), "after" counts from the moment a page has
        received the widgets: the page opened gets the first tab's widgets only
        (72 of 301, a sixth of the state). Default False: every tab is built
        before ``App()`` returns.

    Examples
    --------
    In a notebook::

        from retention_xl.widgets import App
        App()

    >>> app = App()
    >>> [app.tabs.get_title(i) for i in range(4)]
    ['Retention calculator', 'What is better retention worth?', 'From your data', 'Where is this group heading?']

    Built later, a tab is built when it is opened (or when asked for by name):

    >>> app = App(later=True)
    >>> [type(child).__name__ for child in app.tabs.children[1].children]
    ['HTML']
    >>> app.tabs.selected_index = 1
    >>> [type(child).__name__ for child in app.tabs.children[1].children]
    ['WhatIf']
    >>> type(app.forecast).__name__, app.tabs.children[3].children[0] is app.forecast
    ('GroupForecast', True)
    """

    def __init__(self, later: bool = False):
        self.calculator = RetentionCalculator()
        self._built = {"calculator": self.calculator}
        self._slots = {}  # later: the tab's own box, which takes the widget once built
        children = [self.calculator]
        for attribute, title, _module, _class in TABS[1:]:
            if later:  # a light stand-in until the widget is built
                self._slots[attribute] = widgets.VBox([widgets.HTML(
                    f'<div class="rxl-note">Opening "{title}"...</div>')])
                children.append(self._slots[attribute])
            else:
                children.append(self._build(attribute))
        self.tabs = widgets.Tab(children=children, titles=[title for _, title, _, _ in TABS])
        self.tabs.add_class("rxl-app")
        # whole tab titles: ipywidgets cuts them at a fixed width by default
        style = widgets.HTML("<style>.rxl-app .lm-TabBar-tab { flex: 0 0 auto !important; "
                             "max-width: none !important; min-width: 0 !important; "
                             "padding: 0 18px !important; font-size: 14px; }</style>")
        super().__init__([style, self.tabs])
        if later:
            self.tabs.observe(self._on_select, "selected_index")
            if os.environ.get(PRELOADED_KERNEL) == "True":
                _after_a_page_has_the_widgets(LATER_SECONDS, self._build_the_rest)
            else:
                _on_the_event_loop(LATER_SECONDS, self._build_the_rest)

    def _build(self, attribute: str):
        """The widget of one tab, built once (and put in its tab when it stood in)."""
        if attribute in self._built:
            return self._built[attribute]
        import importlib

        index = [name for name, *_ in TABS].index(attribute)
        _, _, module, class_name = TABS[index]
        widget = getattr(importlib.import_module(f".{module}", __package__), class_name)()
        self._built[attribute] = widget
        if attribute in self._slots:
            # into the tab's own box: the tabs themselves never change, since replacing
            # one would move the page's selection off the tab a person just opened
            self._slots[attribute].children = [widget]
        return widget

    def _on_select(self, change) -> None:
        if change["new"] is not None:
            self._build(TABS[change["new"]][0])

    def _build_the_rest(self) -> None:
        """Build the next tab not yet built, then come back for the one after (the kernel
        answers the page between two: a number typed meanwhile is not kept waiting)."""
        for attribute, *_ in TABS:
            if attribute not in self._built:
                self._build(attribute)
                _on_the_event_loop(0, self._build_the_rest)
                return

    @property
    def what_if(self):
        return self._build("what_if")

    @property
    def from_data(self):
        return self._build("from_data")

    @property
    def forecast(self):
        return self._build("forecast")


def _on_the_event_loop(delay: float, callback) -> None:
    """Run ``callback`` after ``delay`` seconds on the running event loop (a kernel's),
    or never when there is none (plain Python: the tabs are then built when opened)."""
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    loop.call_later(delay, callback)


#: (delay, callback) to run once a page has received the widgets (the next one to).
_WAITING_FOR_A_PAGE: list = []


def _after_a_page_has_the_widgets(delay: float, callback) -> None:
    """Run ``callback`` ``delay`` seconds after a page has received the state of every
    widget (ipywidgets answers the page's "request_states" on its control comm), once.

    Widgets built before that are all sent to the page in that one answer, and the page
    makes every one before it shows anything; built after, they reach it one by one,
    while it is already usable.
    """
    from ipywidgets.widgets.widget import Widget

    if not getattr(Widget, "_rxl_tells_when_a_page_has_them", False):
        answer = Widget._handle_control_comm_msg

        def answer_then_tell(cls, msg):
            answer(msg)
            if msg.get("content", {}).get("data", {}).get("method") == "request_states":
                waiting = list(_WAITING_FOR_A_PAGE)
                _WAITING_FOR_A_PAGE.clear()
                for seconds, then in waiting:
                    _on_the_event_loop(seconds, then)

        Widget._handle_control_comm_msg = classmethod(answer_then_tell)
        Widget._rxl_tells_when_a_page_has_them = True
    _WAITING_FOR_A_PAGE.append((delay, callback))
