"""The shipped scenarios load, hold the article's actors, and the background follows its rules."""

from model.scenario import with_background, scenario_from_data

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
    assert min(x.population for x in background) >= 500_000
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
