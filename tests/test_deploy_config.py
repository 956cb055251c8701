"""The deploy configuration (nothing of Google Cloud runs here): what Cloud Build and gcloud
would be given is checked as far as it can be read."""

import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: Cloud Build's built-in substitutions (its documentation, "Substituting variable values").
BUILT_IN = {"PROJECT_ID", "BUILD_ID", "PROJECT_NUMBER", "LOCATION", "TRIGGER_NAME",
            "COMMIT_SHA", "REVISION_ID", "SHORT_SHA", "REPO_NAME", "REPO_FULL_NAME",
            "BRANCH_NAME", "TAG_NAME", "REF_NAME", "TRIGGER_BUILD_CONFIG_PATH",
            "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT"}


def test_cloud_build_substitutes_only_its_own_variables():
    """Cloud Build replaces every ``$NAME`` of a step (a shell's variable must be written
    ``$$NAME``) and rejects a build naming one it does not know: a deploy loop's ``"$f"``
    would have failed the whole build."""
    text = (ROOT / "cloudbuild.yaml").read_text()
    known = BUILT_IN | set(yaml.safe_load(text)["substitutions"])
    named = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text.replace("$$", ""))
    assert named, "no substitution found: the pattern is wrong"
    assert sorted(set(named) - known) == []


def test_the_deployed_sources_carry_the_package_fonts():
    """The functions (``--source=functions``) and the Cloud Run job (``--source=.``) are
    uploaded as their .gcloudignore says; a generated one would include .gitignore, which
    ignores the fonts `make setup` unpacks (PDFium draws Japanese labels with them)."""
    fonts = "functions/buildtrace/fonts/ipag.ttf"
    for source, ignore in ((ROOT, ROOT / ".gcloudignore"),
                           (ROOT / "functions", ROOT / "functions" / ".gcloudignore")):
        rules = [line.strip() for line in ignore.read_text().splitlines()
                 if line.strip() and not line.startswith("#")]
        assert "#!include:.gitignore" not in ignore.read_text()
        relative = str((ROOT / fonts).relative_to(source))
        for rule in rules:
            assert not any(part.rstrip("/") == rule.strip("/")
                           for part in pathlib.PurePath(relative).parts), (ignore, rule)
            assert not pathlib.PurePath(relative).match(rule), (ignore, rule)
    # and the build refuses to deploy without them
    build = (ROOT / "cloudbuild.yaml").read_text()
    for name in ("ipag.ttf", "ipam.ttf", "DroidSansFallbackFull.ttf", "DejaVuSans.ttf"):
        assert name in build
