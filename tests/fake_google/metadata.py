"""Developer metadata: key/value pairs on a spreadsheet or a sheet (create, update, delete
through batchUpdate; `developerMetadata.get` and `.search`; listed by `spreadsheets.get`).

Only whole-spreadsheet and whole-sheet locations are modelled (rows and columns are not
used by the project). Copies of a spreadsheet (Drive `files.copy`) carry their metadata.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .discovery import drop_defaults
from .errors import sheets_error
from .fields import merge_masked, parse_mask

if TYPE_CHECKING:
    from .app import FakeGoogle
    from .state import Spreadsheet


class MetadataError(Exception):
    """An invalid developer-metadata request (message without the requests[i] prefix)."""


def _location(book: Spreadsheet, loc: dict[str, Any]) -> dict[str, Any]:
    if loc.get("spreadsheet"):
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if loc.get("sheetId") is not None:
        sheet_id = int(loc["sheetId"])
        if book.sheet_by_id(sheet_id) is None:
            raise MetadataError(f"No grid with id: {sheet_id}")
        out: dict[str, Any] = {"locationType": "SHEET", "sheetId": sheet_id}
        return drop_defaults("DeveloperMetadataLocation", out)
    if loc.get("dimensionRange"):
        raise MetadataError("The fake supports only spreadsheet and sheet locations.")
    raise MetadataError("Developer metadata must have a location.")


def create(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> dict[str, Any]:
    meta = copy.deepcopy(req.get("developerMetadata") or {})
    if not meta.get("metadataKey"):
        raise MetadataError("Developer metadata must have a key.")
    if meta.get("visibility") not in ("DOCUMENT", "PROJECT"):
        raise MetadataError("Developer metadata visibility must be specified.")
    wanted = meta.get("metadataId")
    if wanted is not None:
        if int(wanted) <= 0:
            raise MetadataError("Developer metadata ID must be positive.")
        if any(m["metadataId"] == int(wanted) for m in book.developer_metadata):
            raise MetadataError(f"Developer metadata with ID {wanted} already exists.")
    stored = {
        "metadataId": int(wanted) if wanted is not None else fake.ids.sheet_id(),
        "metadataKey": meta["metadataKey"],
        "metadataValue": meta.get("metadataValue"),
        "location": _location(book, meta.get("location") or {}),
        "visibility": meta["visibility"],
    }
    stored = drop_defaults("DeveloperMetadata", {k: v for k, v in stored.items() if v is not None})
    book.developer_metadata.append(stored)
    return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(stored)}}


def _matches(meta: dict[str, Any], lookup: dict[str, Any]) -> bool:
    for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
        if lookup.get(key) not in (None, "") and meta.get(key) != lookup[key]:
            return False
    loc = meta["location"]
    kind = lookup.get("locationType")
    if (
        kind
        and kind != "DEVELOPER_METADATA_LOCATION_TYPE_UNSPECIFIED"
        and loc["locationType"] != kind
    ):
        return False
    where = lookup.get("metadataLocation") or {}
    if where.get("spreadsheet") and loc["locationType"] != "SPREADSHEET":
        return False
    if where.get("sheetId") is None:
        return True
    return loc["locationType"] == "SHEET" and int(loc.get("sheetId", 0)) == int(where["sheetId"])


def find(book: Spreadsheet, data_filter: dict[str, Any]) -> list[dict[str, Any]]:
    lookup = data_filter.get("developerMetadataLookup")
    if lookup is None:
        raise MetadataError("The fake matches developer metadata by developerMetadataLookup only.")
    return [m for m in book.developer_metadata if _matches(m, lookup)]


def update(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> dict[str, Any]:
    if not req.get("fields"):
        raise MetadataError("At least one field must be updated, but none were specified.")
    mask = parse_mask(req["fields"])
    if "metadataId" in mask:
        raise MetadataError("metadataId cannot be updated.")
    source = drop_defaults("DeveloperMetadata", copy.deepcopy(req.get("developerMetadata") or {}))
    found: list[dict[str, Any]] = []
    for data_filter in req.get("dataFilters") or []:
        found += [m for m in find(book, data_filter) if m not in found]
    for meta in found:
        merge_masked(meta, source, mask)
        if "location" in mask:
            meta["location"] = _location(book, source.get("location") or {})
    return {"updateDeveloperMetadata": {"developerMetadata": copy.deepcopy(found)}}


def delete(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> dict[str, Any]:
    gone = find(book, req.get("dataFilter") or {})
    book.developer_metadata = [m for m in book.developer_metadata if m not in gone]
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": copy.deepcopy(gone)}}


def get(book: Spreadsheet, metadata_id: str) -> dict[str, Any]:
    for meta in book.developer_metadata:
        if str(meta["metadataId"]) == metadata_id:
            return copy.deepcopy(meta)
    raise sheets_error(404, f"No developer metadata with ID: {metadata_id}")


def search(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    matched: list[dict[str, Any]] = []
    for data_filter in body.get("dataFilters") or []:
        try:
            found = find(book, data_filter)
        except MetadataError as exc:
            raise sheets_error(400, str(exc)) from None
        for meta in found:
            entry = next((e for e in matched if e["developerMetadata"] is meta), None)
            if entry is None:
                matched.append({"developerMetadata": meta, "dataFilters": [data_filter]})
            else:
                entry["dataFilters"].append(data_filter)
    out: dict[str, Any] = {}
    if matched:
        out["matchedDeveloperMetadata"] = copy.deepcopy(matched)
    return out


def for_spreadsheet(book: Spreadsheet) -> list[dict[str, Any]]:
    return [m for m in book.developer_metadata if m["location"]["locationType"] == "SPREADSHEET"]


def for_sheet(book: Spreadsheet, sheet_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in book.developer_metadata
        if m["location"]["locationType"] == "SHEET"
        and int(m["location"].get("sheetId", 0)) == sheet_id
    ]
