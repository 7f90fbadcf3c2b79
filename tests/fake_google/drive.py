"""Drive API v3: files, permissions, watch channels."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from .errors import drive_error, drive_not_found, storage_quota_error
from .fields import apply_mask, parse_mask
from .state import FOLDER_MIME, SERVICE_ACCOUNT, SPREADSHEET_MIME

if TYPE_CHECKING:
    from .app import FakeGoogle

Query = dict[str, list[str]]
_DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"


def _q1(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _shape(file: dict[str, Any], fields: str | None) -> dict[str, Any]:
    public = {k: v for k, v in file.items() if not k.startswith("_")}
    return apply_mask(copy.deepcopy(public), parse_mask(fields or _DEFAULT_FILE_FIELDS))


def get_file(fake: FakeGoogle, file_id: str) -> dict[str, Any]:
    fake.check_access(file_id, "drive")
    file = fake.drive_files.get(file_id)
    if file is None:
        raise drive_not_found(file_id)
    return file


def _drive_of(fake: FakeGoogle, parents: list[str]) -> str | None:
    for p in parents:
        if p in fake.shared_drives:
            return p
        parent = fake.drive_files.get(p)
        if parent is not None and parent.get("driveId"):
            return str(parent["driveId"])
    return None


def new_file(fake: FakeGoogle, body: dict[str, Any], file_id: str | None = None) -> dict[str, Any]:
    """Store a Drive file record; spreadsheets also get a Sheets book."""
    parents = list(body.get("parents") or [])
    drive_id = _drive_of(fake, parents)
    if fake.drive_storage_quota_exceeded and drive_id is None:
        raise storage_quota_error()
    for p in parents:
        if p not in fake.drive_files and p not in fake.shared_drives:
            raise drive_not_found(p)
    stamp = fake.next_stamp()
    file: dict[str, Any] = {
        "kind": "drive#file",
        "id": file_id or fake.ids.file_id(),
        "name": body.get("name") or "Untitled",
        "mimeType": body.get("mimeType") or "application/octet-stream",
        "parents": parents or ([drive_id] if drive_id else ["root"]),
        "createdTime": stamp,
        "modifiedTime": stamp,
        "lastModifyingUser": fake.user_json(fake.requester),
        "trashed": False,
        "starred": False,
        "description": body.get("description"),
        "appProperties": body.get("appProperties"),
        "properties": body.get("properties"),
        "owners": None if drive_id else [{"kind": "drive#user", "emailAddress": SERVICE_ACCOUNT}],
        "driveId": drive_id,
        "webViewLink": "",
        "_permissions": [
            {
                "kind": "drive#permission",
                "id": "owner",
                "type": "user",
                "role": "organizer" if drive_id else "owner",
                "emailAddress": SERVICE_ACCOUNT,
            }
        ],
    }
    file = {k: v for k, v in file.items() if v is not None}
    if file["mimeType"] == SPREADSHEET_MIME:
        file["webViewLink"] = f"https://docs.google.com/spreadsheets/d/{file['id']}/edit"
    elif file["mimeType"] == FOLDER_MIME:
        file["webViewLink"] = f"https://drive.google.com/drive/folders/{file['id']}"
    else:
        file["webViewLink"] = f"https://drive.google.com/file/d/{file['id']}/view"
    fake.drive_files[file["id"]] = file
    return file


def files_create(fake: FakeGoogle, query: Query, body: dict[str, Any]) -> dict[str, Any]:
    file = new_file(fake, body)
    if file["mimeType"] == SPREADSHEET_MIME:
        from .sheets import create

        create(fake, {"properties": {"title": file["name"]}}, file_id=file["id"])
    return _shape(file, _q1(query, "fields"))


def files_copy(
    fake: FakeGoogle, file_id: str, query: Query, body: dict[str, Any]
) -> dict[str, Any]:
    src = get_file(fake, file_id)
    meta = {
        "name": f"Copy of {src['name']}",
        "mimeType": src["mimeType"],
        "parents": src.get("parents") if src.get("driveId") else None,
    }
    meta.update({k: v for k, v in body.items() if v is not None})
    file = new_file(fake, meta)
    book = fake.books.get(file_id)
    if book is not None:
        clone = copy.deepcopy(book)
        clone.id = file["id"]
        clone.properties["title"] = file["name"]
        fake.books[file["id"]] = clone
    return _shape(file, _q1(query, "fields"))


def files_get(fake: FakeGoogle, file_id: str, query: Query) -> dict[str, Any]:
    return _shape(get_file(fake, file_id), _q1(query, "fields"))


def files_update(
    fake: FakeGoogle, file_id: str, query: Query, body: dict[str, Any]
) -> dict[str, Any]:
    file = get_file(fake, file_id)
    for key in ("name", "description", "trashed", "starred", "appProperties", "properties"):
        if body.get(key) is not None:
            file[key] = body[key]
    parents = list(file.get("parents", []))
    for p in (_q1(query, "removeParents") or "").split(","):
        if p in parents:
            parents.remove(p)
    for p in (_q1(query, "addParents") or "").split(","):
        if p and p not in parents:
            parents.append(p)
    file["parents"] = parents
    if file_id in fake.books and body.get("name"):
        fake.books[file_id].properties["title"] = body["name"]
    fake.touch(file_id)
    return _shape(file, _q1(query, "fields"))


def files_delete(fake: FakeGoogle, file_id: str) -> None:
    get_file(fake, file_id)
    del fake.drive_files[file_id]
    fake.books.pop(file_id, None)


_CLAUSE = re.compile(
    r"""\s*(?:
        (?P<lit>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s+in\s+(?P<field>parents|owners|writers|readers)
      | (?P<key>mimeType|name|modifiedTime|createdTime|trashed|starred|fullText)\s*
        (?P<op>!=|<=|>=|=|<|>|contains)\s*
        (?P<val>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|true|false)
    )\s*""",
    re.X,
)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse_q(q: str) -> list[tuple[str, str, Any]]:
    """Parse a conjunction of Drive query clauses into (field, op, value)."""
    clauses: list[tuple[str, str, Any]] = []
    parts = re.split(r"\s+and\s+", q.strip()) if q.strip() else []
    for part in parts:
        m = _CLAUSE.fullmatch(part)
        if not m:
            raise drive_error(400, "Invalid Value", "invalid", location="q")
        if m.group("lit"):
            clauses.append((m.group("field"), "in", _unquote(m.group("lit"))))
        else:
            raw = m.group("val")
            val: Any = raw == "true" if raw in ("true", "false") else _unquote(raw)
            clauses.append((m.group("key"), m.group("op"), val))
    return clauses


def _matches(fake: FakeGoogle, file: dict[str, Any], field: str, op: str, val: Any) -> bool:
    if op == "in":
        if field == "parents":
            return val in file.get("parents", [])
        emails = [p.get("emailAddress") for p in file["_permissions"]]
        return bool(val in emails)
    have = file.get(field, False if field in ("trashed", "starred") else "")
    if op == "contains":
        return str(val).lower() in str(have).lower()
    ops = {
        "=": have == val,
        "!=": have != val,
        "<": have < val,
        ">": have > val,
        "<=": have <= val,
        ">=": have >= val,
    }
    return bool(ops[op])


def files_list(fake: FakeGoogle, query: Query) -> dict[str, Any]:
    clauses = parse_q(_q1(query, "q") or "")
    if not any(f == "trashed" for f, _, _ in clauses):
        clauses.append(("trashed", "=", False))
    corpora = _q1(query, "corpora") or "user"
    drive_id = _q1(query, "driveId")
    all_drives = (_q1(query, "includeItemsFromAllDrives") or "").lower() == "true"
    if corpora == "drive" and not drive_id:
        raise drive_error(
            400,
            "The driveId parameter must be specified if and only if corpora is set to drive.",
            "badRequest",
        )
    if drive_id and drive_id not in fake.shared_drives:
        raise drive_error(
            404, f"Shared drive not found: {drive_id}", "notFound", location="driveId"
        )
    found = []
    for file in fake.drive_files.values():
        if fake.revoked.get(file["id"]):
            continue
        in_drive = file.get("driveId")
        if corpora == "drive" and in_drive != drive_id:
            continue
        if corpora != "drive" and in_drive and not all_drives:
            continue
        if all(_matches(fake, file, *c) for c in clauses):
            found.append(file)
    found.sort(key=lambda f: (f["modifiedTime"], f["id"]), reverse=True)
    size = int(_q1(query, "pageSize") or 100)
    start = int(_q1(query, "pageToken") or 0)
    page = found[start : start + size]
    fields = _q1(query, "fields") or "kind,incompleteSearch,files(kind,id,name,mimeType)"
    out: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False}
    if start + size < len(found):
        out["nextPageToken"] = str(start + size)
    out["files"] = [{k: v for k, v in f.items() if not k.startswith("_")} for f in page]
    shaped: dict[str, Any] = apply_mask(copy.deepcopy(out), parse_mask(fields))
    return shaped


_PERMISSION_FIELDS = "kind,id,type,role"


def permissions_create(
    fake: FakeGoogle, file_id: str, query: Query, body: dict[str, Any]
) -> dict[str, Any]:
    file = get_file(fake, file_id)
    if body.get("type") not in ("user", "group", "domain", "anyone"):
        raise drive_error(
            400, "The permission type field is required.", "required", location="permission.type"
        )
    if body.get("type") in ("user", "group") and not body.get("emailAddress"):
        raise drive_error(
            400,
            "The permission emailAddress field is required.",
            "required",
            location="permission.emailAddress",
        )
    perm = {
        "kind": "drive#permission",
        "id": fake.ids.small().rjust(20, "0"),
        **{k: v for k, v in body.items() if v is not None},
    }
    file["_permissions"].append(perm)
    return apply_mask(copy.deepcopy(perm), parse_mask(_q1(query, "fields") or _PERMISSION_FIELDS))


def permissions_list(fake: FakeGoogle, file_id: str, query: Query) -> dict[str, Any]:
    file = get_file(fake, file_id)
    out = {"kind": "drive#permissionList", "permissions": copy.deepcopy(file["_permissions"])}
    fields = _q1(query, "fields") or f"kind,permissions({_PERMISSION_FIELDS})"
    shaped: dict[str, Any] = apply_mask(out, parse_mask(fields))
    return shaped


def permissions_delete(fake: FakeGoogle, file_id: str, permission_id: str) -> None:
    file = get_file(fake, file_id)
    keep = [p for p in file["_permissions"] if p["id"] != permission_id]
    if len(keep) == len(file["_permissions"]):
        raise drive_error(
            404, f"Permission not found: {permission_id}.", "notFound", location="permissionId"
        )
    file["_permissions"] = keep


def files_watch(fake: FakeGoogle, file_id: str, body: dict[str, Any]) -> dict[str, Any]:
    get_file(fake, file_id)
    if not body.get("id") or not body.get("address"):
        raise drive_error(400, "Required: channel id and address.", "required")
    channel = {
        "kind": "api#channel",
        "id": body["id"],
        "resourceId": f"res-{file_id[:12]}",
        "resourceUri": f"https://www.googleapis.com/drive/v3/files/{file_id}?alt=json",
        "expiration": str(body.get("expiration") or "4102444800000"),
    }
    fake.channels[body["id"]] = {
        **channel,
        "fileId": file_id,
        "address": body["address"],
        "token": body.get("token"),
    }
    return channel


def channels_stop(fake: FakeGoogle, body: dict[str, Any]) -> None:
    channel = fake.channels.get(body.get("id") or "")
    if channel is None or channel["resourceId"] != body.get("resourceId"):
        raise drive_error(404, f"Channel '{body.get('id')}' not found for project", "notFound")
    del fake.channels[body["id"]]
