"""Parsing the MLflow links people paste: every accepted form, and a clear answer for the rest."""

from __future__ import annotations

import pytest

from mlplatform.links import EXAMPLES, MAX_CHARS, Link, LinkError, LinkKind, find_urls, parse, ui_url

RUN_ID = "0123456789abcdef0123456789abcdef"
RUN = Link(LinkKind.RUN, run_id=RUN_ID)


@pytest.mark.parametrize(
    "text",
    [
        # MLflow's UI routes in the fragment, with or without the experiment, and any tab after.
        f"http://mlflow.internal:5000/#/experiments/1/runs/{RUN_ID}",
        f"https://mlflow.example.com/#/experiments/12/runs/{RUN_ID}/artifacts/model",
        f"https://mlflow.example.com/#/experiments/12/runs/{RUN_ID}?searchFilter=x",
        f"https://mlflow.example.com/#/runs/{RUN_ID}",
        f"https://mlflow.example.com/mlflow/#/runs/{RUN_ID}",  # served under a prefix
        # Databricks routes in the path, often with the workspace as `?o=`.
        f"https://adb-1234.5.azuredatabricks.net/ml/experiments/123/runs/{RUN_ID}?o=1234",
        f"https://dbc-a1b2.cloud.databricks.com/ml/experiments/123/runs/{RUN_ID}/model-metrics",
        # MLflow's own URIs, an artifact path after the run id included.
        f"runs:/{RUN_ID}",
        f"runs:/{RUN_ID}/model",
        # As Slack sends links: `<url|label>` or `<url>`, and with spaces around.
        f"<https://mlflow.example.com/#/runs/{RUN_ID}|the candidate>",
        f"<runs:/{RUN_ID}>",
        f"  runs:/{RUN_ID}  ",
    ],
)
def test_every_form_of_a_run(text: str) -> None:
    assert parse(text) == RUN


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("models:/churn/3", Link(LinkKind.MODEL_VERSION, model="churn", version="3")),
        ("models:/churn/3/", Link(LinkKind.MODEL_VERSION, model="churn", version="3")),
        ("models:/churn@champion", Link(LinkKind.MODEL_VERSION, model="churn", alias="champion")),
        ("models:/churn-v2@prod_2", Link(LinkKind.MODEL_VERSION, model="churn-v2", alias="prod_2")),
        ("models:/my%20model/2", Link(LinkKind.MODEL_VERSION, model="my model", version="2")),
        (
            "https://mlflow.example.com/#/models/churn/versions/3",
            Link(LinkKind.MODEL_VERSION, model="churn", version="3"),
        ),
        (
            "https://mlflow.example.com/#/models/my%20model/versions/12/artifacts",
            Link(LinkKind.MODEL_VERSION, model="my model", version="12"),
        ),
        (
            "https://dbc-a1b2.cloud.databricks.com/ml/models/churn/versions/4",
            Link(LinkKind.MODEL_VERSION, model="churn", version="4"),
        ),
        (
            "<https://mlflow.example.com/#/models/churn/versions/3|churn v3>",
            Link(LinkKind.MODEL_VERSION, model="churn", version="3"),
        ),
    ],
)
def test_every_form_of_a_model_version(text: str, link: Link) -> None:
    assert parse(text) == link


def test_each_link_is_labelled_as_people_write_it() -> None:
    assert RUN.label == f"runs:/{RUN_ID}"
    assert parse("https://mlflow.example.com/#/models/churn/versions/3").label == "models:/churn/3"
    assert parse("models:/churn@champion").label == "models:/churn@champion"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", f"Give {EXAMPLES}."),
        ("<>", f"Give {EXAMPLES}."),
        (
            "x" * (MAX_CHARS + 1),
            f"That link is {MAX_CHARS + 1} characters; MLflow links are under {MAX_CHARS}.",
        ),
        (
            "https://docs.example.com/guide",
            f"`https://docs.example.com/guide` is no MLflow run or model version page; give {EXAMPLES}.",
        ),
        (
            "https://mlflow.example.com/#/experiments/1",
            "`https://mlflow.example.com/#/experiments/1` is no MLflow",
        ),
        ("https://mlflow.example.com/#/runs/not%20an%20id", "is no MLflow run or model version page"),
        ("runs:/", f"`runs:/` is not {EXAMPLES}."),
        ("models:/churn", f"`models:/churn` is not {EXAMPLES}."),
        ("models:/churn/latest", f"`models:/churn/latest` is not {EXAMPLES}."),
        ("models:/churn@", f"`models:/churn@` is not {EXAMPLES}."),
        (f"ftp://mlflow.example.com/#/runs/{RUN_ID}", f"is not {EXAMPLES}."),
        ("EXP-4", f"`EXP-4` is not {EXAMPLES}."),
        (RUN_ID, f"`{RUN_ID}` is not {EXAMPLES}."),
    ],
)
def test_anything_else_is_refused_saying_what_is_accepted(text: str, says: str) -> None:
    with pytest.raises(LinkError) as info:
        parse(text)
    assert says in str(info.value)


def test_a_refusal_quotes_at_most_80_characters_of_the_text() -> None:
    text = "https://docs.example.com/" + "a" * 200
    with pytest.raises(LinkError) as info:
        parse(text)
    assert f"`{text[:80]}`" in str(info.value) and text[:81] not in str(info.value)


def test_find_urls_keeps_the_mlflow_pages_in_a_message() -> None:
    run = f"https://mlflow.example.com/#/experiments/1/runs/{RUN_ID}"
    version = "https://mlflow.example.com/#/models/churn/versions/3"
    text = f"new candidate <{run}|here>, docs at https://docs.example.com/x and the model {version} "
    assert find_urls(text) == [run, version]
    assert find_urls(f"runs:/{RUN_ID} is no web address") == []


@pytest.mark.parametrize(
    ("base", "link", "experiment_id", "url"),
    [
        (
            "https://mlflow.example.com/",
            RUN,
            "1",
            f"https://mlflow.example.com/#/experiments/1/runs/{RUN_ID}",
        ),
        ("https://mlflow.example.com", RUN, None, f"https://mlflow.example.com/#/runs/{RUN_ID}"),
        (
            "https://dbc-a1b2.cloud.databricks.com",
            RUN,
            "7",
            f"https://dbc-a1b2.cloud.databricks.com/ml/experiments/7/runs/{RUN_ID}",
        ),
        (
            "https://mlflow.example.com",
            Link(LinkKind.MODEL_VERSION, model="churn", version="3"),
            None,
            "https://mlflow.example.com/#/models/churn/versions/3",
        ),
        (
            "https://dbc-a1b2.cloud.databricks.com",
            Link(LinkKind.MODEL_VERSION, model="churn", version="3"),
            None,
            "https://dbc-a1b2.cloud.databricks.com/ml/models/churn/versions/3",
        ),
    ],
)
def test_ui_url_and_parse_agree(base: str, link: Link, experiment_id: str | None, url: str) -> None:
    assert ui_url(base, link, experiment_id=experiment_id) == url
    assert parse(url) == link


def test_a_link_ending_a_sentence_is_found_without_its_full_stop() -> None:
    text = "see https://mlflow.example.com/#/models/churn/versions/2. and https://example.com/x"
    assert find_urls(text) == ["https://mlflow.example.com/#/models/churn/versions/2"]
