"""A custom control-center domain (ControlCenterDomainName + ControlCenterCertificateArn), read from template.yaml.

The template is resolved for a stack with and without the two parameters; what the distribution, the
functions' settings (and so the agents' user data) and the outputs become is checked, and the Rules
refusing one parameter without the other are evaluated as CloudFormation does before creating anything.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from p2p_core.bootstrap.userdata import agent_defaults
from p2p_core.config import parse_config
from p2p_core.models.deployment import Deployment
from p2p_emulator.template import Resolver, TemplateRuleFailed, check_rules, load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
STACK_ID = "arn:aws:cloudformation:eu-central-1:123456789012:stack/p2p/1a2b3c4d-0000-4000-8000-00000000abcd"
SECRET = "1a2b3c4d-0000-4000-8000-00000000abcd"
DISTRIBUTION = "d111111abcdef8.cloudfront.net"
DOMAIN = "cc.example.com"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-90ab-4cde-8f01-234567890abc"
CUSTOM = {"ControlCenterDomainName": DOMAIN, "ControlCenterCertificateArn": CERTIFICATE}


def _attributes(logical: str, attribute: str) -> str:
    assert (logical, attribute) == ("ControlCenterDistribution", "DomainName"), (logical, attribute)
    return DISTRIBUTION


def resolver(parameters: dict[str, str]) -> Resolver:
    """The template's values for a stack deployed with `parameters` (the rest at their defaults)."""
    names: dict[str, Any] = {n: str(p.get("Default", "")) for n, p in TEMPLATE["Parameters"].items()}
    names.update(parameters)
    names.update({"AWS::StackId": STACK_ID, "AWS::StackName": "p2p", "AWS::Region": "eu-central-1"})
    names.update({"AWS::NoValue": None, "ControlCenterWebAcl": "acl"})
    return Resolver(names, _attributes, {**TEMPLATE["Conditions"], "Always": True})


def distribution(parameters: dict[str, str]) -> dict[str, Any]:
    """The distribution's name and certificate settings."""
    config = TEMPLATE["Resources"]["ControlCenterDistribution"]["Properties"]["DistributionConfig"]
    resolve = resolver(parameters)
    return {key: resolve(config[key]) for key in ("Aliases", "ViewerCertificate")}


def agent_urls(parameters: dict[str, str]) -> list[str]:
    """The URLs the functions are configured with, as the reconciler bakes them into user data."""
    settings = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    resolve = resolver(parameters)
    names = ("P2P_CONTROL_CENTER_URLS", "P2P_CONTROL_CENTER_DOMAIN", "P2P_CONTROL_CENTER_PATH")
    deployment = Deployment.from_env({name: str(resolve(settings[name])) for name in names})
    urls = agent_defaults(parse_config({}), deployment)["urls"]
    assert isinstance(urls, list)
    return urls


def outputs(parameters: dict[str, str]) -> dict[str, str]:
    """The stack's control-center URL outputs that exist with `parameters`."""
    resolve = resolver(parameters)
    found = {k: o for k, o in TEMPLATE["Outputs"].items() if k.startswith(("ControlCenterUrl", "ControlCenterCustom"))}
    found["ControlCenterDistributionDomain"] = TEMPLATE["Outputs"]["ControlCenterDistributionDomain"]
    return {k: resolve(o["Value"]) for k, o in found.items() if resolve({"Condition": o.get("Condition", "Always")})}


def test_without_a_custom_domain_the_distribution_keeps_its_own_name_and_certificate() -> None:
    config = distribution({})
    assert config["Aliases"] is None  # AWS::NoValue: no Aliases property
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert agent_urls({}) == [f"https://{DISTRIBUTION}/{SECRET}"]
    assert "ControlCenterCustomUrl" not in outputs({})


def test_a_custom_domain_is_an_alias_served_with_its_certificate_and_tls_1_2_2021() -> None:
    config = distribution(CUSTOM)
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }


def test_agents_poll_the_custom_domain_first_and_the_cloudfront_domain_as_fallback() -> None:
    assert agent_urls(CUSTOM) == [f"https://{DOMAIN}/{SECRET}", f"https://{DISTRIBUTION}/{SECRET}"]


def test_the_stack_outputs_the_custom_url_and_where_its_dns_points() -> None:
    found = outputs(CUSTOM)
    assert found["ControlCenterCustomUrl"] == f"https://{DOMAIN}/{SECRET}"
    assert found["ControlCenterUrl"] == f"https://{DISTRIBUTION}/{SECRET}"
    assert found["ControlCenterDistributionDomain"] == DISTRIBUTION


@pytest.mark.parametrize(
    ("parameters", "refusal"),
    [
        ({"ControlCenterDomainName": DOMAIN}, "ControlCenterDomainName needs ControlCenterCertificateArn"),
        ({"ControlCenterCertificateArn": CERTIFICATE}, "ControlCenterCertificateArn is used only with"),
    ],
)
def test_one_parameter_without_the_other_is_refused_before_anything_is_created(
    parameters: dict[str, str], refusal: str
) -> None:
    values = {"EnableWaf": "false", "ControlCenterDomainName": "", "ControlCenterCertificateArn": "", **parameters}
    with pytest.raises(TemplateRuleFailed, match=refusal):
        check_rules(TEMPLATE, {**values, "AWS::Region": "eu-central-1", "AWS::StackName": "p2p"})
    check_rules(TEMPLATE, {**values, **CUSTOM, "AWS::Region": "eu-central-1", "AWS::StackName": "p2p"})


@pytest.mark.parametrize(
    ("parameter", "value", "accepted"),
    [
        ("ControlCenterDomainName", "", True),
        ("ControlCenterDomainName", DOMAIN, True),
        ("ControlCenterDomainName", "agents.eu.example.co.uk", True),
        ("ControlCenterDomainName", "CC.Example.com", False),  # CloudFront aliases are lower-case here
        ("ControlCenterDomainName", "https://cc.example.com", False),
        ("ControlCenterDomainName", "localhost", False),
        ("ControlCenterCertificateArn", "", True),
        ("ControlCenterCertificateArn", CERTIFICATE, True),
        ("ControlCenterCertificateArn", CERTIFICATE.replace("us-east-1", "eu-central-1"), False),
        ("ControlCenterCertificateArn", "arn:aws:iam::123456789012:server-certificate/cc", False),
    ],
)
def test_parameter_values_cloudformation_accepts(parameter: str, value: str, accepted: bool) -> None:
    pattern = TEMPLATE["Parameters"][parameter]["AllowedPattern"]
    assert (re.fullmatch(pattern, value) is not None) is accepted, json.dumps(value)
