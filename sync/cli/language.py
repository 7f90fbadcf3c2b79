"""The language of `thidua`: Vietnamese by default, English with `--lang en` / THIDUA_LANG=en.

click prints its own texts (usage, option list, errors) through `gettext`; this module gives
those texts from the message catalogue (`sync.i18n`, ids `click.*`) by replacing the
`gettext`/`ngettext` names inside click's modules, sets the catalogue's current language
for every other CLI text, and gives every command and option its help text
(`cli.help.<command>[.<option>]`) and the metavars (`[TUỲ_CHỌN]`, `TỆP_ĐỢT`, `SỐ`, …,
`cli.metavar.*`) in that language whenever the language is chosen — so `--help` follows it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import click

from .. import i18n

LANGUAGES = ("vi", "en")
_chosen: str | None = None

# click's own texts (English msgids of click 8.x) → message ids of the catalogue
# (sync/i18n/vi.po has the Vietnamese, en.po click's English; docs/messages.md).
CLICK_IDS: dict[str, str] = {
    "Usage:": "click.usage",
    "Options": "click.options",
    "Commands": "click.commands",
    "Show this message and exit.": "click.show_this_message_and_exit",
    "Show the version and exit.": "click.show_the_version_and_exit",
    "%(prog)s, version %(version)s": "click.version",
    "Aborted!": "click.aborted",
    "Error: {message}": "click.error",
    "Try '{command} {option}' for help.": "click.try_for_help",
    "Missing command.": "click.missing_command",
    "No such command {name!r}.": "click.no_such_command",
    "No such option {name!r}.": "click.no_such_option",
    "No such option: {name}": "click.no_such_option_2",
    "Did you mean {possibility}?": "click.did_you_mean",
    "(Did you mean one of: {possibilities}?)": "click.did_you_mean_one_of",
    "Missing argument": "click.missing_argument",
    "Missing option": "click.missing_option",
    "Missing parameter": "click.missing_parameter",
    "Missing parameter: {param_name}": "click.missing_parameter_2",
    "Missing {param_type}": "click.missing",
    "argument": "click.argument",
    "option": "click.option",
    "parameter": "click.parameter",
    "unknown error": "click.unknown_error",
    "Invalid value for {param_hint}: {message}": "click.invalid_value_for",
    "Invalid value: {message}": "click.invalid_value",
    "Could not open file {filename!r}: {message}": "click.could_not_open_file",
    "Got unexpected extra argument ({args})": "click.got_unexpected_extra_argument",
    "Got unexpected extra arguments ({args})": "click.got_unexpected_extra_arguments",
    "Option {name!r} does not take a value.": "click.option_does_not_take_a_value",
    "Option {name!r} requires an argument.": "click.option_requires_an_argument",
    "Option {name!r} requires {nargs} arguments.": "click.option_requires_arguments",
    "Argument {name!r} takes {nargs} values.": "click.argument_takes_values",
    "Takes {nargs} values but 1 was given.": "click.takes_values_but_1_was_given",
    "Takes {nargs} values but {len} were given.": "click.takes_values_but_were_given",
    "Value must be an iterable.": "click.value_must_be_an_iterable",
    "env var: {var}": "click.env_var",
    "default: {default}": "click.default",
    "required": "click.required",
    "(dynamic)": "click.dynamic",
    "deprecated": "click.deprecated",
    "Do you want to continue?": "click.do_you_want_to_continue",
    "Confirm the action without prompting.": "click.confirm_the_action_without_prompting",
    "Repeat for confirmation": "click.repeat_for_confirmation",
    "Error: The two entered values do not match.": "click.error_the_two_entered_values_do",
    "Error: invalid input": "click.error_invalid_input",
    "Press any key to continue...": "click.press_any_key_to_continue",
    "file": "click.file",
    "directory": "click.directory",
    "path": "click.path",
    "Choose from:\n\t{choices}": "click.choose_from",
    "{value!r} is not {choice}.": "click.is_not",
    "{value!r} is not one of {choices}.": "click.is_not_one_of",
    "{value!r} does not match the format {format}.": "click.does_not_match_the_format",
    "{value!r} does not match the formats {formats}.": "click.does_not_match_the_formats",
    "{value} is not in the range {range}.": "click.is_not_in_the_range",
    "{value!r} is not a valid boolean. Recognized values: {states}": "click.is_not_a_valid_boolean_recognized",
    "{value!r} is not a valid {number_type}.": "click.is_not_a_valid",
    "{value!r} is not a valid UUID.": "click.is_not_a_valid_uuid",
    "{len_type} values are required, but {len_value} was given.": "click.values_are_required_but_was_given",
    "{len_type} values are required, but {len_value} were given.": "click.values_are_required_but_were_given",
    "{name} {filename!r} is a file.": "click.is_a_file",
    "{name} {filename!r} is a directory.": "click.is_a_directory",
    "{name} {filename!r} is not readable.": "click.is_not_readable",
    "{name} {filename!r} is not writable.": "click.is_not_writable",
    "{name} {filename!r} is not executable.": "click.is_not_executable",
    "{name} {filename!r} does not exist.": "click.does_not_exist",
}


def current() -> str:
    """The chosen language: --lang, else THIDUA_LANG, else Vietnamese."""
    if _chosen is not None:
        return _chosen
    env = os.environ.get("THIDUA_LANG", "").strip().lower()[:2]
    return env if env in LANGUAGES else "vi"


def gettext(message: str) -> str:
    """click's `gettext`: the catalogue's text in the current language (click's own English
    for a text the catalogue does not know)."""
    key = CLICK_IDS.get(message)
    if key is None or current() == "en":
        return message
    return i18n.template(key, current())


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


def help_id(path: tuple[str, ...], param: str | None = None) -> str:
    """The catalogue id of a command's help (`cli.help.user.add`, the root `cli.help.thidua`)
    or of one of its options (`cli.help.user.add.password_stdin`)."""
    key = "cli.help." + (".".join(p.replace("-", "_") for p in path) or "thidua")
    return f"{key}.{param}" if param else key


def _metavar(keys: list[str], lang: str) -> str | None:
    """The first of `keys` the catalogue has (as written: `[OPTIONS]`, `TỆP_ĐỢT`), else None
    (click's own)."""
    return next((i18n.t(key, lang) for key in keys if i18n.has(key)), None)


def localize(command: click.Command, lang: str, path: tuple[str, ...] = ()) -> None:
    """Give COMMAND and its subcommands the help texts and metavars of LANG.

    Help texts come from the catalogue (`help_id`), not from docstrings or `help=`, so
    `--help` follows the chosen language; metavars from `cli.metavar.<path>.<option>`,
    `cli.metavar.argument.<name>` and `cli.metavar.type.<type>` (click's own otherwise)."""
    key = help_id(path)
    if i18n.has(key):
        command.help = i18n.t(key, lang)
    command.options_metavar = i18n.t("cli.metavar.options", lang)
    cached_help = getattr(command, "_help_option", None)  # click >= 8.2 keeps it once made
    if isinstance(cached_help, click.Option):
        cached_help.help = gettext("Show this message and exit.")
    if isinstance(command, click.Group):
        command.subcommand_metavar = i18n.t("cli.metavar.subcommand", lang)
        for name, sub in command.commands.items():
            localize(sub, lang, (*path, name))
    for param in command.params:
        if isinstance(param, click.Option) and param.name == "version":
            param.help = gettext("Show the version and exit.")
        elif isinstance(param, click.Option) and i18n.has(help_id(path, param.name)):
            param.help = i18n.t(help_id(path, param.name), lang)
        original = param.__dict__.setdefault("_thidua_metavar", param.metavar)
        if original is not None:
            continue
        own = f"cli.metavar.{key[len('cli.help.') :]}.{param.name}"
        if isinstance(param, click.Argument):
            label = _metavar([own, f"cli.metavar.argument.{param.name}"], lang)
            if label is not None and not param.required:
                label = f"[{label}]"
            param.metavar = label
        elif isinstance(param, click.Option) and not param.is_flag:
            if isinstance(param.type, click.Choice):
                continue
            kind = f"cli.metavar.type.{param.type.name.replace(' ', '_')}"
            param.metavar = _metavar([own, kind], lang)


def choose(lang: str | None, root: click.Command | None = None) -> None:
    """Switch the language (None: back to THIDUA_LANG / Vietnamese) and relabel ROOT."""
    global _chosen
    _chosen = lang if lang in LANGUAGES else None
    i18n.set_language(current())
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
