"""Read package, version and SDK levels from a binary AndroidManifest.xml (pyaxmlparser)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

ANDROID = "{http://schemas.android.com/apk/res/android}"


class ManifestError(ValueError):
    pass


@dataclass
class ManifestFacts:
    package: str | None
    version_code: int | None
    version_name: str | None
    min_sdk: int | None
    target_sdk: int | None


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value, 0)
    except ValueError:
        return None


def parse_manifest(raw: bytes) -> ManifestFacts:
    from pyaxmlparser.axmlprinter import AXMLPrinter

    # pyaxmlparser logs every oddity at WARNING; the reason we report is enough.
    logging.getLogger("pyaxmlparser").setLevel(logging.ERROR)
    try:
        printer = AXMLPrinter(raw)
        root = printer.get_xml_obj() if printer.is_valid() else None
    except Exception as exc:  # the library raises many kinds on garbage
        raise ManifestError(f"AndroidManifest.xml is not binary XML ({type(exc).__name__}: {exc})") from None
    if root is None or root.tag != "manifest":
        raise ManifestError("AndroidManifest.xml is not a valid binary XML manifest")
    sdk = root.find("uses-sdk")
    min_sdk = _int(sdk.get(ANDROID + "minSdkVersion")) if sdk is not None else None
    target = _int(sdk.get(ANDROID + "targetSdkVersion")) if sdk is not None else None
    return ManifestFacts(
        package=root.get("package") or None,
        version_code=_int(root.get(ANDROID + "versionCode")),
        version_name=root.get(ANDROID + "versionName"),
        min_sdk=min_sdk if min_sdk is not None else 1,
        # Android's rule: no targetSdkVersion means target = min.
        target_sdk=target if target is not None else (min_sdk if min_sdk is not None else 1),
    )
