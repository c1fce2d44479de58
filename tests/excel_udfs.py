"""Load the Excel functions module as the classic xlwings add-in on Windows would see it.

On Linux ``xlwings.func/arg/ret`` return the function unchanged. Here, only for
the duration of a ``with`` block, stand-ins for the Windows-only modules
(pythoncom, pywintypes, win32com) go into ``sys.modules``, ``xlwings.func/arg/ret``
are bound to ``xlwings.udfs.xlfunc/xlarg/xlret``, and the module is imported
fresh under another name, so its functions carry the ``__xlfunc__`` metadata
that "Import Functions" reads. Everything is restored afterwards.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
import types

FUNCTIONS_MODULE = "retention_xl.excel.functions"

# VBA keywords, type names, literals and built-ins that cannot (or must not) be parameter
# names, from the VBA language specification (reserved identifiers, statements, types),
# plus the names xlwings' generated wrapper body uses itself.
VBA_RESERVED = frozenset(name.lower() for name in """
    AddressOf Alias And Any Append Array As Attribute Base Binary Boolean ByRef Byte ByVal
    Call Case CBool CByte CCur CDate CDbl CDec CDecl CInt Circle CLng CLngLng CLngPtr Close
    Compare Const CSng CStr Currency CVar CVErr Database Date Debug Decimal Declare DefBool
    DefByte DefCur DefDate DefDbl DefDec DefInt DefLng DefLngLng DefLngPtr DefObj DefSng
    DefStr DefVar Dim Do DoEvents Double Each Else ElseIf Empty End EndIf Enum Eqv Erase
    Error Event Exit Explicit False Fix For Friend Function Get Global GoSub GoTo If Imp
    Implements In Input InputB Int Integer Is LBound Len LenB Let Lib Like Line Local Lock
    Long LongLong LongPtr Loop LSet Me Mid MidB Mod Module New Next Not Nothing Null Object
    On Open Option Optional Or Output ParamArray Preserve Print Private Property PSet PtrSafe
    Public Put RaiseEvent Random Read ReDim Rem Reset Resume Return RSet Scale Seek Select
    Set Sgn Shared Single Spc Static Step Stop String Sub Tab Text Then Time To True Type
    TypeOf UBound Unlock Until Variant Wend While Width With WithEvents Write Xor
    Application ThisWorkbook ActiveWorkbook XLPy Err Range argsArray
""".split())

_VBA_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}")


def _stand_ins() -> dict[str, types.ModuleType]:
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *args, **kwargs: None
    win32com.client = client
    return {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
            "win32com.client": client}


@contextlib.contextmanager
def classic_addin_view(module_name: str = FUNCTIONS_MODULE, source: str | None = None):
    """Yield (fresh module with xlwings metadata, xlwings.udfs); restore everything after."""
    import xlwings

    saved_modules = {name: sys.modules.get(name) for name in
                     ("pythoncom", "pywintypes", "win32com", "win32com.client", "xlwings.udfs")}
    saved_decorators = {name: getattr(xlwings, name) for name in ("func", "arg", "ret")}
    fresh_name = "retention_xl_classic_view"
    try:
        sys.modules.update(_stand_ins())
        sys.modules.pop("xlwings.udfs", None)
        udfs = importlib.import_module("xlwings.udfs")
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        if source is None:
            spec = importlib.util.find_spec(module_name)
            module = importlib.util.module_from_spec(
                importlib.util.spec_from_file_location(fresh_name, spec.origin))
            module.__spec__.loader.exec_module(module)
        else:
            module = types.ModuleType(fresh_name)
            exec(compile(source, fresh_name, "exec"), module.__dict__)
        yield module, udfs
    finally:
        for name, value in saved_decorators.items():
            setattr(xlwings, name, value)
        for name, value in saved_modules.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value
        sys.modules.pop(fresh_name, None)


def excel_functions(module) -> dict[str, object]:
    """Every function of ``module`` that carries xlwings metadata, by Excel name."""
    return {value.__xlfunc__["name"]: value for value in vars(module).values()
            if callable(value) and hasattr(value, "__xlfunc__")}


def vba_wrapper(module, udfs) -> str:
    """The VBA "Import Functions" would write for ``module``."""
    text = io.StringIO()
    workbook = types.SimpleNamespace(Name="retention_functions.xlsm")
    udfs.generate_vba_wrapper(FUNCTIONS_MODULE, module, text, workbook)
    return text.getvalue()


def vba_signatures(vba: str) -> dict[str, list[str]]:
    """Function name -> parameter names, read from the generated VBA."""
    signatures = {}
    for name, params in re.findall(r"^Function (\w+)\((.*)\)\s*$", vba, flags=re.MULTILINE):
        names = [re.sub(r"^(Optional|ParamArray) ", "", p.strip()).removesuffix("()")
                 for p in params.split(",") if p.strip()]
        signatures[name] = names
    return signatures


def vba_name_problems(signatures: dict[str, list[str]]) -> list[str]:
    """Every parameter name VBA would refuse or misread, as readable lines (empty: all legal)."""
    problems = []
    function_names = {name.lower() for name in signatures}
    for function, params in signatures.items():
        seen = set()
        if not _VBA_IDENTIFIER.fullmatch(function) or function.lower() in VBA_RESERVED:
            problems.append(f"{function}: the function name is not a legal VBA name")
        for param in params:
            lowered = param.lower()
            if not _VBA_IDENTIFIER.fullmatch(param):
                problems.append(f"{function}({param}): not a VBA identifier")
            elif lowered in VBA_RESERVED:
                problems.append(f"{function}({param}): {param} is reserved in VBA")
            elif lowered in function_names:
                problems.append(f"{function}({param}): same name as a function of the module")
            elif lowered in seen:
                problems.append(f"{function}({param}): repeated (VBA ignores case)")
            seen.add(lowered)
    return problems
