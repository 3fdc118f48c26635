"""template.yaml as data: CloudFormation YAML tags, and the few intrinsic functions the harness resolves itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

_SHORT_TAGS = ("Ref", "Condition")
_FN_TAGS = (
    *("Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or", "FindInMap", "Base64"),
    *("ImportValue", "GetAZs", "Cidr", "Transform", "Length", "ToJsonString"),
)


class _CfnLoader(yaml.SafeLoader):
    """Safe YAML plus CloudFormation's short-form tags (`!Ref x` -> `{"Ref": "x"}`)."""


def _construct(tag: str) -> Callable[[_CfnLoader, yaml.Node], Any]:
    key = tag if tag in _SHORT_TAGS else f"Fn::{tag}"

    def build(loader: _CfnLoader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    return build


for _tag in (*_SHORT_TAGS, *_FN_TAGS):
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load_template(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template into plain data."""
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)
    return data


class Resolver:
    """Resolves Ref / Sub / GetAtt / Join / Select / Split against known names; enough for the harness's needs."""

    def __init__(
        self,
        names: Mapping[str, Any],
        attributes: Callable[[str, str], str],
        conditions: Mapping[str, Any] | None = None,
    ) -> None:
        self._names = names
        self._attributes = attributes
        self._conditions = conditions or {}  # the template's Conditions, for Fn::If and Condition

    def __call__(self, value: Any) -> Any:
        """The value with every intrinsic function evaluated."""
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self(v) for k, v in value.items()}
        ((key, arg),) = value.items()
        if key == "Ref":
            return self._names[arg]
        if key == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self._attributes(logical, attribute)
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Join":
            separator, items = arg
            return separator.join(str(self(i)) for i in items)
        if key == "Fn::Select":
            index, items = arg
            return self(items)[int(self(index))]
        if key == "Fn::Split":
            separator, text = arg
            return str(self(text)).split(separator)
        if key == "Fn::If":
            condition, when_true, when_false = arg
            return self(when_true if self(self._conditions[condition]) else when_false)
        if key == "Condition":
            return bool(self(self._conditions[arg]))
        if key == "Fn::Equals":
            left, right = arg
            return str(self(left)) == str(self(right))
        if key == "Fn::Not":
            return not self(arg[0])
        if key in ("Fn::And", "Fn::Or"):
            results = [bool(self(item)) for item in arg]
            return all(results) if key == "Fn::And" else any(results)
        return {k: self(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], {k: self(v) for k, v in arg[1].items()})
        out, i = [], 0
        while (start := text.find("${", i)) >= 0:
            end = text.index("}", start)
            out.append(text[i:start])
            name = text[start + 2 : end]
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in extra:
                out.append(str(extra[name]))
            elif "." in name and name not in self._names:  # ${Logical.Attribute}, the resource known or not
                logical, attribute = name.split(".", 1)
                out.append(str(self._attributes(logical, attribute)))
            else:
                out.append(str(self._names[name]))
            i = end + 1
        out.append(text[i:])
        return "".join(out)


def replace_resources(
    template: dict[str, Any], removed: set[str], value_for: Callable[[str, str | None], Any]
) -> dict[str, Any]:
    """Drop the `removed` resources, replacing each Ref/GetAtt/${...} to them with `value_for(logical, attribute)`.

    `attribute` is None for a Ref.
    """

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) or not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and arg in removed:
                return value_for(arg, None)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                if logical in removed:
                    return value_for(logical, attribute)
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], walk(arg[1]))
                for name in removed:
                    for found in _sub_refs(text, name):
                        logical, _, attribute = found.partition(".")
                        value = value_for(logical, attribute or None)
                        if not isinstance(value, str):  # an expression: pass it as one of the Sub's variables
                            variable = f"Supplied{len(extra)}"
                            extra = {**extra, variable: value}
                            value = "${" + variable + "}"
                        text = text.replace("${" + found + "}", value)
                return {"Fn::Sub": [text, extra] if extra else text}
        return {k: walk(v) for k, v in value.items()}

    kept = {k: v for k, v in template["Resources"].items() if k not in removed}
    return {**walk({k: v for k, v in template.items() if k != "Resources"}), "Resources": walk(kept)}


def _sub_refs(text: str, logical: str) -> list[str]:
    found, i = [], 0
    while (start := text.find("${" + logical, i)) >= 0:
        end = text.index("}", start)
        name = text[start + 2 : end]
        if name == logical or name.startswith(logical + "."):
            found.append(name)
        i = end + 1
    return found


class TemplateRuleFailed(ValueError):
    """A template `Rules` assertion failed: CloudFormation refuses the deploy before creating anything."""


def check_rules(template: dict[str, Any], values: Mapping[str, str]) -> None:
    """Evaluate the template's Rules against parameter (and pseudo-parameter) values, as CloudFormation does."""
    resolve = Resolver(values, _no_attributes)
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not resolve(rule["RuleCondition"]):
            continue
        for assertion in rule.get("Assertions", []):
            if not resolve(assertion["Assert"]):
                raise TemplateRuleFailed(f"template rule {name}: {assertion.get('AssertDescription', 'failed')}")


def without_absent(template: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The template without the resources and outputs whose Condition is false: CloudFormation never creates them
    (moto keeps a hole for each, which its DescribeStackResource trips over)."""
    resolve = Resolver(values, _no_attributes, template.get("Conditions", {}))

    def present(entry: Any) -> bool:
        return "Condition" not in entry or bool(resolve({"Condition": entry["Condition"]}))

    kept = dict(template)
    for section in ("Resources", "Outputs"):
        if section in template:
            kept[section] = {name: entry for name, entry in template[section].items() if present(entry)}
    return kept


def _no_attributes(logical: str, attribute: str) -> str:
    raise KeyError(f"a template rule cannot read {logical}.{attribute}")
