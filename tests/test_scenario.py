"""The shipped scenarios load, hold the article's actors, and the background follows its rules."""

import numpy as np
import pytest

from model.scenario import DOMAINS, city_table, continent_of, scenario_from_data, with_background

ARTICLE_ACTORS = [
    "sao_paulo_city", "sao_paulo_state", "istanbul", "barcelona", "generalitat_catalunya", "london",
    "shanghai", "new_york", "paris", "vienna", "buenos_aires", "incheon", "san_francisco", "quebec",
    "gov_BR", "gov_GB", "gov_US", "gov_TR", "gov_ES", "gov_CN", "gov_FR", "gov_AT", "gov_AR", "gov_KR",
    "gov_CA", "uclg", "iclei", "eurocities", "committee_of_regions",
]


def test_article_has_every_named_actor(article):
    ids = {x.id for x in article.subnationals + article.nationals + article.networks}
    assert set(ARTICLE_ACTORS) <= ids


def test_article_carries_the_articles_figures(article):
    subs = {x.id: x for x in article.subnationals}
    nets = {n.id: n for n in article.networks}
    assert subs["sao_paulo_state"].capacity == 50          # 50 international commitments a year
    assert subs["sao_paulo_state"].population == 42_000_000
    assert nets["committee_of_regions"].member_cap == 355
    assert nets["uclg"].reported_members == 1000
    assert nets["iclei"].reported_members == 1200
    govs = {n.country: n for n in article.nationals}
    assert govs["CN"].stance < govs["BR"].stance
    initial = {a.id: a for a in article.agreements}
    assert set(initial["barcelona_sf_smart_city_2013"].parties) == {"barcelona", "san_francisco"}


def test_background_threshold_and_no_duplicates(article):
    background = [x for x in article.subnationals if x.id.startswith("gn")]
    assert len(background) > 1000
    european = [x.population for x in background if continent_of(x.country) == "EU"]
    assert min(x.population for x in background if continent_of(x.country) != "EU") >= 500_000
    assert min(european) >= 100_000 and min(european) < 500_000  # article: Europe down to 100,000 (the CoR's pool)
    named = {x.geonameid for x in article.subnationals if not x.id.startswith("gn") and x.geonameid}
    assert named.isdisjoint({x.geonameid for x in background})
    assert len({x.id for x in article.subnationals}) == len(article.subnationals)


def test_every_country_gets_a_government(article):
    assert {x.country for x in article.subnationals} <= {n.country for n in article.nationals}


def test_higher_threshold_gives_fewer_background_cities(tiny_data):
    tiny_data["background"] = {"enabled": True, "min_population": 1_000_000}
    big = with_background(scenario_from_data(tiny_data, "t"))
    small = with_background(scenario_from_data(tiny_data, "t"), min_population=5_000_000)
    assert 6 < len(small.subnationals) < len(big.subnationals)
    # a city keeps the same assumed interests whatever the threshold
    shared = {x.id: x.interests for x in small.subnationals}
    assert all(shared[x.id] == x.interests for x in big.subnationals if x.id in shared)


def test_classroom_is_small(classroom):
    assert 8 <= len(classroom.subnationals) + len(classroom.nationals) + len(classroom.networks) <= 20
    assert not classroom.background.enabled


def test_background_cities_follow_the_documented_rules(tiny_data):
    t = city_table()
    spain = np.flatnonzero(t["country"] == "ES")
    madrid, barcelona, valencia = spain[np.argsort(-t["population"][spain])][:3]
    threshold = int(t["population"][valencia])  # Valencia is exactly at the threshold
    tiny_data["background"] = {"enabled": True, "min_population": threshold, "countries": ["PT", "ES"],
                               "gdp_per_capita": 20_000.0, "capacity_per_sqrt_million": 3.0,
                               "autonomy": 0.7, "assertiveness": 0.3}
    tiny_data["subnationals"][0].update(name="Villa de Madrid", geonameid=int(t["geonameid"][madrid]))  # by id
    tiny_data["subnationals"][1].update(name=str(t["name"][barcelona]).upper(), country="ES")  # by name
    s = with_background(scenario_from_data(tiny_data, "t"))
    background = {x.id: x for x in s.subnationals if x.id.startswith("gn")}
    keep = np.flatnonzero((t["population"] >= threshold) & np.isin(t["country"], ["PT", "ES"]))
    expected = {f"gn{t['geonameid'][i]}" for i in keep if i not in (madrid, barcelona)}
    assert set(background) == expected and f"gn{t['geonameid'][valencia]}" in expected
    for x in background.values():
        assert x.gdp == pytest.approx(x.population * 20_000.0 / 1e9)
        assert x.capacity == pytest.approx(3.0 * (x.population / 1e6) ** 0.5)
        assert (x.autonomy, x.assertiveness, x.kind) == (0.7, 0.3, "city")
        assert max(x.interests.values()) == pytest.approx(1.0) and set(x.interests) == set(DOMAINS)


def test_background_interests_are_rarely_security_or_defence_and_concentration_specialises(tiny_data):
    def interests(concentration):
        tiny_data["background"] = {"enabled": True, "min_population": 2_000_000,
                                   "interest_concentration": concentration}
        s = with_background(scenario_from_data(tiny_data, "t"))
        return np.array([list(x.interests.values()) for x in s.subnationals if x.id.startswith("gn")])

    weights = interests(1.0)
    hard = [DOMAINS.index("security"), DOMAINS.index("defence")]
    soft = [i for i in range(len(DOMAINS)) if i not in hard]
    assert weights[:, hard].mean() < 0.5 * weights[:, soft].mean()
    # a lower concentration gives more specialised cities: fewer strong interests besides the strongest
    assert interests(0.2).mean() < 0.7 * interests(5.0).mean()
