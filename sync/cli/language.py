"""The language of `thidua`: Vietnamese by default, English with `--lang en` / THIDUA_LANG=en.

click prints its own texts (usage, option list, errors) through `gettext`; this module gives
those texts in Vietnamese by replacing the `gettext`/`ngettext` names inside click's modules
with a lookup in `CLICK_VI` (msgid -> Vietnamese), and names the metavars click would
otherwise print in English (`[OPTIONS]`, `TEXT`, `INTEGER`, `CAMPAIGN`, …).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import click

LANGUAGES = ("vi", "en")
_chosen: str | None = None

# click's own texts (click 8.1–8.x msgids) in Vietnamese.
CLICK_VI: dict[str, str] = {
    "Usage:": "Cách dùng:",
    "Options": "Tuỳ chọn",
    "Commands": "Lệnh",
    "Show this message and exit.": "Xem hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Xem phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Aborted!": "Đã huỷ.",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn: '{command} {option}'.",
    "Missing command.": "Thiếu tên lệnh.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "No such option {name!r}.": "Không có tuỳ chọn {name!r}.",
    "No such option: {name}": "Không có tuỳ chọn: {name}",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: {possibilities}?)",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tuỳ chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing {param_type}": "Thiếu {param_type}",
    "argument": "tham số",
    "option": "tuỳ chọn",
    "parameter": "tham số",
    "unknown error": "lỗi không rõ",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "Got unexpected extra argument ({args})": "Thừa tham số ({args})",
    "Got unexpected extra arguments ({args})": "Thừa các tham số ({args})",
    "Option {name!r} does not take a value.": "Tuỳ chọn {name!r} không nhận giá trị.",
    "Option {name!r} requires an argument.": "Tuỳ chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tuỳ chọn {name!r} cần {nargs} giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} nhận {nargs} giá trị.",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có 1.",
    "Takes {nargs} values but {len} were given.": "Cần {nargs} giá trị nhưng có {len}.",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "env var: {var}": "biến môi trường: {var}",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "(dynamic)": "(tuỳ lúc chạy)",
    "deprecated": "không còn dùng",
    "Do you want to continue?": "Tiếp tục?",
    "Confirm the action without prompting.": "Xác nhận luôn, không hỏi lại.",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai lần nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
    "Press any key to continue...": "Nhấn phím bất kỳ để tiếp tục…",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "{value!r} is not {choice}.": "{value!r} không phải là {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không thuộc các giá trị {choices}.",
    "{value!r} does not match the format {format}.": "{value!r} không đúng dạng {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} không đúng các dạng {formats}.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} không phải giá trị có/không. Dùng một trong: {states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là một số hợp lệ.",
    "{value!r} is not a valid UUID.": "{value!r} không phải UUID hợp lệ.",
    "{len_type} values are required, but {len_value} was given.": (
        "Cần {len_type} giá trị, nhưng có {len_value}."
    ),
    "{len_type} values are required, but {len_value} were given.": (
        "Cần {len_type} giá trị, nhưng có {len_value}."
    ),
    # {name} is "File"/"Directory"/"Path", fixed when the option is declared: not used
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, cần một thư mục.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, cần một tệp.",
    "{name} {filename!r} is not readable.": "Không đọc được {filename!r}.",
    "{name} {filename!r} is not writable.": "Không ghi được vào {filename!r}.",
    "{name} {filename!r} is not executable.": "{filename!r} không chạy được.",
    "{name} {filename!r} does not exist.": "Không tìm thấy {filename!r}.",
}

# Type metavars (click shows them upper-cased after an option).
TYPE_METAVARS = {
    "vi": {
        "text": "CHUỖI",
        "integer": "SỐ",
        "integer range": "SỐ",
        "float": "SỐ",
        "float range": "SỐ",
        "path": "ĐƯỜNG_DẪN",
        "filename": "TỆP",
        "datetime": "THỜI_ĐIỂM",
        "boolean": "CÓ|KHÔNG",
    },
    "en": {},
}
# Argument names (click shows them upper-cased in usage lines and errors).
ARGUMENT_METAVARS = {
    "vi": {
        "campaign": "TỆP_ĐỢT",
        "directory": "THƯ_MỤC",
        "username": "TÊN_ĐĂNG_NHẬP",
        "src": "NGUỒN",
        "dst": "ĐÍCH",
    },
    "en": {},
}
OPTIONS_METAVAR = {"vi": "[TUỲ_CHỌN]", "en": "[OPTIONS]"}
SUBCOMMAND_METAVAR = {"vi": "LỆNH [THAM_SỐ]...", "en": "COMMAND [ARGS]..."}


def current() -> str:
    """The chosen language: --lang, else THIDUA_LANG, else Vietnamese."""
    if _chosen is not None:
        return _chosen
    env = os.environ.get("THIDUA_LANG", "").strip().lower()[:2]
    return env if env in LANGUAGES else "vi"


def gettext(message: str) -> str:
    """click's `gettext`: Vietnamese unless English was chosen."""
    if current() == "en":
        return message
    return CLICK_VI.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's `ngettext`: Vietnamese has one form."""
    return gettext(singular if n == 1 else plural)


def _patch_click() -> None:
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types
    import click.utils

    for module in (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.termui,
        click.types,
        click.utils,
    ):
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def localize(command: click.Command, lang: str) -> None:
    """Set the usage metavars of COMMAND and its subcommands for LANG."""
    command.options_metavar = OPTIONS_METAVAR[lang]
    cached_help = getattr(command, "_help_option", None)  # click >= 8.2 keeps it once made
    if isinstance(cached_help, click.Option):
        cached_help.help = gettext("Show this message and exit.")
    if isinstance(command, click.Group):
        command.subcommand_metavar = SUBCOMMAND_METAVAR[lang]
        for sub in command.commands.values():
            localize(sub, lang)
    for param in command.params:
        if isinstance(param, click.Option) and param.name == "version":
            param.help = gettext("Show the version and exit.")
        original = param.__dict__.setdefault("_thidua_metavar", param.metavar)
        if original is not None:
            continue
        if isinstance(param, click.Argument):
            name = ARGUMENT_METAVARS[lang].get(param.name or "")
            if name is not None and not param.required:
                name = f"[{name}]"
            param.metavar = name
        elif isinstance(param, click.Option) and not param.is_flag:
            if isinstance(param.type, click.Choice):
                continue
            param.metavar = TYPE_METAVARS[lang].get(param.type.name)


def choose(lang: str | None, root: click.Command | None = None) -> None:
    """Switch the language (None: back to THIDUA_LANG / Vietnamese) and relabel ROOT."""
    global _chosen
    _chosen = lang if lang in LANGUAGES else None
    _patch_click()
    if root is not None:
        localize(root, current())


def language_in(argv: Sequence[str]) -> str | None:
    """`--lang X` / `--lang=X` in a command line, read before click parses it."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None
