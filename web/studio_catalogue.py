"""The editor's texts: bpmn-js's palette, context pad and properties panel, and the studio's own words.

bpmn-js asks its ``translate`` service for each English text it shows; the editor page hands it this
catalogue, translated through the Babel catalogues like every other text of the app
(``web/assets/studio.js`` falls back to the English text for anything not listed here).
"""

from __future__ import annotations

from flask_babel import gettext


def N_(text: str) -> str:
    """Marks a text for the catalogues (pybabel extract -k N_); translated in :func:`catalogue`."""
    return text


BPMN_JS_TEXTS = (
    # palette
    N_("Activate hand tool"),
    N_("Activate lasso tool"),
    N_("Activate create/remove space tool"),
    N_("Activate global connect tool"),
    N_("Create start event"),
    N_("Create intermediate/boundary event"),
    N_("Create end event"),
    N_("Create gateway"),
    N_("Create task"),
    N_("Create data object reference"),
    N_("Create data store reference"),
    N_("Create expanded sub-process"),
    N_("Create pool/participant"),
    N_("Create group"),
    # context pad
    N_("Append end event"),
    N_("Append gateway"),
    N_("Append task"),
    N_("Append intermediate/boundary event"),
    N_("Append text annotation"),
    N_("Change element"),
    N_("Change type"),
    N_("Delete"),
    N_("Connect using sequence/message flow or association"),
    N_("Connect using association"),
    N_("Connect to other element"),
    N_("Add lane above"),
    N_("Add lane below"),
    N_("Divide into two lanes"),
    N_("Divide into three lanes"),
    N_("Search in diagram"),
    # replace menu
    N_("Task"),
    N_("User task"),
    N_("Manual task"),
    N_("Script task"),
    N_("Exclusive gateway"),
    N_("Parallel gateway"),
    N_("Inclusive gateway"),
    N_("Event-based gateway"),
    N_("Start event"),
    N_("End event"),
    N_("Timer intermediate catch event"),
    N_("Timer boundary event"),
    N_("Signal intermediate catch event"),
    N_("Sub-process (collapsed)"),
    N_("Sub-process (expanded)"),
    # properties panel
    N_("General"),
    N_("Name"),
    N_("ID"),
    N_("Documentation"),
    N_("Element documentation"),
    N_("Process documentation"),
    N_("Executable"),
    N_("Process"),
    N_("Select an element to edit its properties."),
    N_("Multiple elements are selected. Select a single one to edit its properties."),
    # minimap and bpmnlint (its rules' messages, and the button with the count)
    N_("Open minimap"),
    N_("Close minimap"),
    N_("{errors} Errors, {warnings} Warnings"),
    N_("No Issues"),
    N_("Element is not connected"),
    N_("Process is missing start event"),
    N_("Process is missing end event"),
    N_("Sub Process is missing start event"),
    N_("Sub Process is missing end event"),
    N_("Flow splits implicitly"),
    N_("Gateway is superfluous. It only has one source and target."),
    N_("Incoming flows do not join"),
    N_("Duplicate incoming sequence flows"),
    N_("Duplicate outgoing sequence flows"),
    N_("SequenceFlow is a duplicate"),
    N_("Event has multiple event definitions"),
    N_("Start event must be blank"),
    # the studio's own group
    N_("Casepath"),
    N_("Timer"),
    N_("Timer kind"),
    N_("Duration"),
    N_("Cycle"),
    N_("Date"),
    N_("Condition"),
    N_("Script"),
    N_("— none —"),
    N_("Checking…"),
    N_("in words: %(words)s"),
    N_("hour"),
    N_("hours"),
    N_("day"),
    N_("week"),
    N_("month"),
    N_("year"),
    N_("minute"),
    N_("days"),
    N_("weeks"),
    N_("months"),
    N_("years"),
    N_("minutes"),
    N_("not a duration such as P20D or PT24H"),
    N_("not casework roles: %(names)s"),
)


def catalogue() -> dict[str, str]:
    """Each English text and its translation in the user's language, for the editor's translate module."""
    return {text: gettext(text) for text in BPMN_JS_TEXTS}
