"""The README seed's v1alpha1 manifests, rewritten to v1beta1 where a mapping exists.

v1alpha1 (upstream beskar7 before v0.4) booted a Beskar7Machine's `imageURL` as virtual media
(`provisioningMode: RemoteConfig | PreBakedISO`, `configURL`). v1beta1 network-boots an
inspection image and kexecs the target OS instead. What maps: `configURL` -> `configurationURL`,
`imageURL` -> `targetOSImage`, `osFamily` kept, every kind's apiVersion. What cannot carry over
is explained per object, never guessed: the ISO boot modes, and `inspectionImage`, which has no
v1alpha1 counterpart. Pure: objects in, objects and notes out.
"""

import copy
from dataclasses import dataclass, field
from typing import Any

from beskar7.api.errors import InvalidError
from beskar7.api.kinds import GROUP, Obj, UnknownKindError, kind_of
from beskar7.api.machine import OSFamily
from beskar7.api.validation import validate

ALPHA = f"{GROUP}/v1alpha1"
BETA = f"{GROUP}/v1beta1"
ISO_REMOVED = "virtual-media ISO boot was removed upstream in v0.4"
RENAMED = (("configURL", "configurationURL"), ("imageURL", "targetOSImage"))
MODES = {
    "RemoteConfig": "dropped: there are no modes in v1beta1; configurationURL (or the CAPI "
    "Machine's bootstrap data) configures the OS the inspector kexecs",
    "PreBakedISO": f"cannot carry over: {ISO_REMOVED}; move the configuration baked into the "
    "ISO to configurationURL or the CAPI Machine's bootstrap data",
}
INSPECTION_IMAGE = (
    "spec.inspectionImage: required in v1beta1, no v1alpha1 counterpart: set the base URL "
    "serving the inspection image's vmlinuz and initrd.img (`make image`)"
)


@dataclass
class Converted:
    """One object after conversion, what was done to it, and what still stops `apply`."""

    obj: Obj
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        meta = self.obj.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        return f"{self.obj.get('kind', '?')}/{name or '?'}"


def is_alpha(obj: Obj) -> bool:
    return obj.get("apiVersion") == ALPHA


def convert(obj: Obj) -> Converted:
    """`obj` as v1beta1 (other apiVersions unchanged), with notes and remaining problems."""
    if not is_alpha(obj):
        return _checked(Converted(copy.deepcopy(obj), ["not v1alpha1: unchanged"]))
    out = copy.deepcopy(obj)
    out["apiVersion"] = BETA
    done = Converted(out, [f"apiVersion: {ALPHA} -> {BETA}"])
    if out.pop("status", None) is not None:
        done.notes.append("status: dropped (the controllers rebuild it)")
    spec = out.get("spec")
    if out.get("kind") == "Beskar7Machine" and isinstance(spec, dict):
        _machine_spec(spec, "spec", done.notes)
    elif out.get("kind") == "Beskar7MachineTemplate" and isinstance(spec, dict):
        inner = spec.get("template", {}).get("spec")
        if isinstance(inner, dict):
            _machine_spec(inner, "spec.template.spec", done.notes)
    return _checked(done)


def _machine_spec(spec: dict[str, Any], path: str, notes: list[str]) -> None:
    mode = spec.pop("provisioningMode", None)
    if mode is not None:
        reason = MODES.get(str(mode), f"unknown mode; {ISO_REMOVED}")
        notes.append(f"{path}.provisioningMode {mode}: {reason}")
    for old, new in RENAMED:
        if old in spec:
            spec[new] = spec.pop(old)
            notes.append(f"{path}.{old} -> {path}.{new}")
    image = spec.get("targetOSImage")
    if isinstance(image, str) and (mode == "PreBakedISO" or image.lower().endswith(".iso")):
        notes.append(
            f"{path}.targetOSImage: an ISO cannot carry over ({ISO_REMOVED}): point it at a "
            "tar.gz holding the kernel and initrd (or a bare kernel)"
        )
    family = spec.get("osFamily")
    if family is not None:
        known = {f.value for f in OSFamily}
        kept = "kept" if family in known else f"not one of {', '.join(sorted(known))}"
        notes.append(f"{path}.osFamily {family}: {kept}")
    if "inspectionImage" not in spec:
        notes.append(INSPECTION_IMAGE.replace("spec.", f"{path}.", 1))


def _checked(done: Converted) -> Converted:
    """Record why `apply` would still refuse the converted object."""
    try:
        validate(kind_of(done.obj), done.obj)
    except UnknownKindError as exc:
        done.problems.append(f"unknown kind: {exc}")
    except InvalidError as exc:
        done.problems.extend(str(issue) for issue in exc.issues)
    return done
