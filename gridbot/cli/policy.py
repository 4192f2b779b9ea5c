"""`gridbot policy show | import | export`: the closed-loop policy as a YAML file.

`show` prints the effective policy (every category's hours); `export` writes what is
configured (category hours only where they differ from the taxonomy), so an export
imported again changes nothing; `import` validates the whole file and replaces the stored
policy in one transaction, audit-logged as the command line — or changes nothing."""

from __future__ import annotations

from typing import Any

from dispatch.settings import Settings

HEADER = "# gridbot closed-loop policy (version {version}); the format: docs/policy.md\n"


def dump_yaml(doc: dict[str, Any]) -> str:
    """Block-style mappings (one setting a line, easy to edit), lists inline: [0.5, 0.8]."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def inline_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)

    Dumper.add_representer(list, inline_list)
    return yaml.dump(
        doc, Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
    )


async def policy_doc(settings: Settings, *, effective: bool) -> tuple[dict[str, Any], int]:
    """The stored policy as a document (effective: every category's hours) and its version."""
    from dispatch.domain.policy import policy_to_doc
    from dispatch.service.registry import taxonomy_hours
    from gridbot.bootstrap import bootstrap

    app = await bootstrap(settings)
    try:
        registry = app.registry
        hours = taxonomy_hours(registry.taxonomy) if effective else None
        return policy_to_doc(registry.policy, hours), registry.policy_version
    finally:
        await app.close()


async def import_policy(settings: Settings, doc: Any) -> tuple[int, int]:
    """Validate and store `doc`; (new version, settings changed)."""
    from dispatch.domain.config_diff import diff_lines
    from dispatch.domain.policy import policy_to_doc
    from dispatch.service.config_log import AuditActor
    from dispatch.service.policy_store import save_policy_doc
    from gridbot.bootstrap import bootstrap

    app = await bootstrap(settings)
    try:
        before = policy_to_doc(app.registry.policy)
        stored = await save_policy_doc(app.uow(), doc, AuditActor.cli(), app.clock.now())
        return stored.version, len(diff_lines(before, stored.doc))
    finally:
        await app.close()
