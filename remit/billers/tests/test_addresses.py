import pytest

from remit.billers.addresses import AddressError, check_domain, check_slug, suggest_slug

HOSTS = ["remit.example.com", "localhost", "127.0.0.1"]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Supply Co.", "acme-supply"),
        ("Globex Corporation", "globex"),
        ("Initech", "initech"),
        ("Crème & Brûlée LLC", "creme-and-brulee"),
        ("The Co.", "the-co"),
        ("AB", "ab-pay"),
        ("Admin", "admin-pay"),
        ("!!!", "portal-pay"),
    ],
)
def test_suggestions_come_from_the_name(name, slug):
    assert suggest_slug(name) == slug


def test_a_suggestion_always_passes_the_rules():
    for name in ["Acme Supply Co.", "Globex Corporation", "Crème & Brûlée LLC", "AB", "Admin", "X" * 80]:
        assert check_slug(suggest_slug(name), company_name=name)


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("ac", "between 3 and 50"),
        ("a" * 51, "between 3 and 50"),
        ("acme_supply", "lowercase letters, digits and single hyphens"),
        ("acme--supply", "single hyphens"),
        ("-acme", "starting and ending"),
        ("acme supply", "lowercase letters"),
        ("console", "reserved"),
        ("api", "reserved"),
        ("admin", "reserved"),
        ("static", "reserved"),
        ("healthz", "reserved"),
        ("pay-bills-here", "must contain your company name, for example “acme-supply”"),
    ],
)
def test_slug_rules(slug, message):
    with pytest.raises(AddressError, match=message):
        check_slug(slug, company_name="Acme Supply Co.")


@pytest.mark.parametrize("slug", ["acme-supply", "acme", "pay-acme", "supply-portal", "ACME-Supply", "acme2026"])
def test_slugs_containing_the_company_name_are_accepted(slug):
    assert check_slug(slug, company_name="Acme Supply Co.") == slug.lower()


def test_domains_are_normalised():
    assert check_domain(" Pay.Example.COM. ", remit_hosts=HOSTS) == "pay.example.com"
    assert check_domain("bücher.example", remit_hosts=HOSTS) == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("https://pay.example.com", "domain name only"),
        ("pay.example.com:8443", "domain name only"),
        ("pay.example.com/portal", "domain name only"),
        ("10.0.0.1", "not an IP address"),
        ("localhost", "belongs to Remit"),
        ("pay.remit.example.com", "belongs to Remit"),
        ("nodot", "not a valid domain"),
        ("-bad.example.com", "not a valid domain"),
        ("a..b.com", "not a valid domain"),
    ],
)
def test_domain_rules(domain, message):
    with pytest.raises(AddressError, match=message):
        check_domain(domain, remit_hosts=HOSTS)
