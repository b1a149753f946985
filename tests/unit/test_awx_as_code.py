# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX material as code: extensions/awx/objects.yml, the execution environment definition.

* every survey is well-formed the way AWX validates one (types, defaults, required, choices, min/max);
* every variable a survey sets is documented in the argument specs of a role its playbook uses, read from the
  roles' own meta/argument_specs.yml (so this breaks when they drift), with a compatible type, choices and default;
* the workflow is audit -> probe -> approval -> upgrade, each failure edge leads to a stop that fails (so the
  workflow ends as failed and notifies), no node is unreachable;
* slicing only where it is safe;
* ansible-builder turns execution-environment.yml into a build context that installs requirements.txt, bindep.txt
  and this collection (skipped without ansible-builder).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWX = os.path.join(ROOT, "extensions", "awx")
BIN = os.path.join(ROOT, ".venv", "bin")
NAMESPACE = "nictune.fleet."

SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# survey type -> argument spec types a variable of that survey type may have
COMPATIBLE = {
    "integer": {"int", "raw"},
    "float": {"float", "raw"},
    "multiplechoice": {"str", "raw"},
    "multiselect": {"list", "raw"},
    "text": {"str", "raw", "path"},
    "textarea": {"str", "raw"},
    "password": {"str", "raw"},
}
# Survey answers that stand for a role default AWX cannot offer as a choice (a multiplechoice cannot hold ""):
# the role must document them (in the option's choices or its description).
SYNONYMS = {("nic_model_target", "auto"): ""}
# Templates that run the probe (its schedule spans every guest and endpoint) or the upgrade (its plan and report span
# every guest) must never be sliced; the audit (one read per hypervisor) may be.
SLICEABLE_ENTRY_POINTS = {("nic_model", "audit")}


def _load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


# A survey's model choices come from the collection's model catalogue when configure.yml creates it.
CATALOGUE_CHOICES = "{{ ['auto'] + query('nictune.fleet.nic_models') }}"


def _catalogue_choices():
    """What the template gives, evaluated by Ansible itself with the collection's lookup plugin."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    ansible = os.path.join(BIN, "ansible") if os.path.exists(os.path.join(BIN, "ansible")) else shutil.which("ansible")
    out = subprocess.run(
        [ansible, "localhost", "-m", "ansible.builtin.debug", "-a", "msg={{ %s }}" % CATALOGUE_CHOICES[3:-3]],
        capture_output=True, text=True, env=env, check=True, cwd=ROOT,
    )  # fmt: skip
    return yaml.safe_load(out.stdout.split("=>", 1)[1])["msg"]


def _render(objects, choices):
    for item in objects.get("nictune_awx_job_templates", []) + objects.get("nictune_awx_workflows", []):
        for q in (item.get("survey_spec") or {}).get("spec") or []:
            if q.get("choices") == CATALOGUE_CHOICES:
                q["choices"] = choices
    return objects


OBJECTS = _render(_load(os.path.join(AWX, "objects.yml")), _catalogue_choices())
JOB_TEMPLATES = {jt["name"]: jt for jt in OBJECTS["nictune_awx_job_templates"]}
WORKFLOWS = {wf["name"]: wf for wf in OBJECTS["nictune_awx_workflows"]}


def _surveys():
    out = []
    for jt in JOB_TEMPLATES.values():
        if jt.get("survey_enabled"):
            out.append(pytest.param(jt["survey_spec"], [jt["playbook"]], id="jt:" + jt["name"]))
    for wf in WORKFLOWS.values():
        if wf.get("survey_enabled"):
            playbooks = [
                JOB_TEMPLATES[n["unified_job_template"]["name"]]["playbook"]
                for n in wf["workflow_nodes"]
                if n["unified_job_template"].get("type") == "job_template"
            ]
            out.append(pytest.param(wf["survey_spec"], playbooks, id="wf:" + wf["name"]))
    return out


SURVEYS = _surveys()


# --- playbooks -> roles -> argument specs -------------------------------------------------------------------------
def _task_entries(tasks):
    """(role, tasks_from) of every include_role/import_role in ``tasks``, and the task files they include."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in ("block", "rescue", "always"):
            yield from _task_entries(task.get(key))
        for action in ("include_role", "import_role"):
            for mod in (action, "ansible.builtin." + action, "ansible.legacy." + action):
                if mod in task:
                    args = task[mod] if isinstance(task[mod], dict) else {"name": task[mod]}
                    yield ("role", args.get("name"), args.get("tasks_from") or "main")
        for action in ("include_tasks", "import_tasks"):
            for mod in (action, "ansible.builtin." + action, "ansible.legacy." + action):
                if mod in task:
                    args = task[mod]
                    yield ("file", args.get("file") if isinstance(args, dict) else args, None)


def _entry_points(role, tasks_from, seen):
    """Every (role, entry point) reached from ``role``'s ``tasks_from``, following includes within the collection."""
    if (role, tasks_from) in seen:
        return
    seen.add((role, tasks_from))
    files, done = [tasks_from if tasks_from.endswith(".yml") else tasks_from + ".yml"], set()
    while files:
        name = files.pop()
        path = os.path.join(ROOT, "roles", role, "tasks", name)
        if name in done or not os.path.isfile(path):
            continue
        done.add(name)
        for kind, target, entry in _task_entries(_load(path)):
            if kind == "file" and target and "{{" not in target:
                files.append(target)
            elif kind == "role" and isinstance(target, str) and target.startswith(NAMESPACE):
                _entry_points(target[len(NAMESPACE) :], entry, seen)


def playbook_entry_points(playbook):
    """(short role name, entry point) of every nictune.fleet role entry point a playbook reaches."""
    seen = set()
    for play in _load(os.path.join(ROOT, playbook)) or []:
        entries = []
        for entry in play.get("roles") or []:
            entries.append(("role", entry if isinstance(entry, str) else entry.get("role", entry.get("name")), "main"))
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            entries.extend(_task_entries(play.get(section)))
        for kind, name, entry in entries:
            if kind == "role" and isinstance(name, str) and name.startswith(NAMESPACE):
                _entry_points(name[len(NAMESPACE) :], entry, seen)
    return seen


def playbook_roles(playbook):
    """Short names of the nictune.fleet roles a playbook uses, directly or through another role."""
    return {role for role, _entry in playbook_entry_points(playbook)}


def role_options(role):
    """Union of the options of every entry point in roles/ROLE/meta/argument_specs.yml."""
    specs = _load(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"))["argument_specs"]
    options = {}
    for entry in specs.values():
        for name, spec in (entry.get("options") or {}).items():
            options.setdefault(name, spec)
    return options


def documented_options(playbooks):
    options = {}
    for pb in playbooks:
        for role in sorted(playbook_roles(pb)):
            for name, spec in role_options(role).items():
                options.setdefault(name, spec)
    return options


def _description(spec):
    d = spec.get("description", "")
    return " ".join(d) if isinstance(d, list) else str(d)


# --- surveys ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("survey", "playbooks"), SURVEYS)
def test_survey_is_well_formed(survey, playbooks):
    assert isinstance(survey.get("name"), str) and survey["name"]
    assert isinstance(survey.get("description"), str)
    spec = survey["spec"]
    assert spec, "an enabled survey needs questions"
    variables = [q["variable"] for q in spec]
    assert len(variables) == len(set(variables)), variables
    for q in spec:
        where = q.get("variable")
        assert set(q) <= {
            "question_name",
            "question_description",
            "variable",
            "type",
            "choices",
            "min",
            "max",
            "required",
            "default",
            "new_question",
        }, where
        assert isinstance(q["question_name"], str) and q["question_name"], where
        assert isinstance(q["question_description"], str) and q["question_description"], where
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", q["variable"]), where
        assert q["type"] in SURVEY_TYPES, where
        assert isinstance(q["required"], bool), where
        assert "default" in q, "%s: every question has a default (the answer a workflow or an API launch gets)" % where
        default = q["default"]
        if q["type"] == "integer":
            assert isinstance(default, int) and not isinstance(default, bool), where
        if q["type"] == "float":
            assert isinstance(default, (int, float)) and not isinstance(default, bool), where
        if q["type"] in ("integer", "float"):
            assert q["min"] <= default <= q["max"], where
        if q["type"] in ("multiplechoice", "multiselect"):
            choices = q["choices"]
            assert isinstance(choices, list) and choices, where
            assert all(isinstance(c, str) and c for c in choices), "%s: AWX drops empty choices" % where
            assert len(choices) == len(set(choices)), where
            defaults = default if q["type"] == "multiselect" else [default]
            assert set(defaults) <= set(choices), where
        if q["type"] in ("text", "textarea", "password", "multiplechoice"):
            assert isinstance(default, str), where


@pytest.mark.parametrize(("survey", "playbooks"), SURVEYS)
def test_survey_variables_are_documented_by_the_playbooks_roles(survey, playbooks):
    options = documented_options(playbooks)
    assert options, "%s use no nictune.fleet role with argument specs" % playbooks
    for q in survey["spec"]:
        var = q["variable"]
        assert var in options, "%s is not an option of any role that %s use" % (var, playbooks)
        spec = options[var]
        otype = spec.get("type", "str")
        assert otype in COMPATIBLE[q["type"]], "%s: survey %s, argument spec %s" % (var, q["type"], otype)
        synonyms = {answer: value for (name, answer), value in SYNONYMS.items() if name == var}
        for answer, value in synonyms.items():
            assert answer in (spec.get("choices") or []) or re.search(r"\b%s\b" % answer, _description(spec)), (
                "%s: the survey answers %r, which the role does not document (accept it as a synonym of %r)"
                % (var, answer, value)
            )
        if q["type"] == "multiplechoice" and spec.get("choices"):
            allowed = set(spec["choices"]) | set(synonyms)
            assert set(q["choices"]) <= allowed, "%s: %s not in %s" % (var, q["choices"], spec["choices"])
        if "default" in spec and not (isinstance(spec["default"], str) and "{{" in spec["default"]):
            default = synonyms.get(q["default"], q["default"])
            assert default == spec["default"], "%s: survey default %r, role default %r" % (
                var,
                q["default"],
                spec["default"],
            )


def test_upgrade_survey_asks_what_the_issue_names():
    upgrade = {q["variable"]: q for q in JOB_TEMPLATES["NIC upgrade"]["survey_spec"]["spec"]}
    assert set(upgrade) == {
        "nic_model_target",
        "nic_model_batch",
        "nic_model_restart",
        "nic_model_rollback_threshold",
        "iperf_probe_duration",
    }
    assert upgrade["nic_model_target"]["type"] == "multiplechoice"
    assert upgrade["nic_model_rollback_threshold"]["type"] == "float"
    workflow = WORKFLOWS["NIC upgrade (approved)"]["survey_spec"]["spec"]
    assert workflow == JOB_TEMPLATES["NIC upgrade"]["survey_spec"]["spec"]


def test_playbook_role_parsing_sees_the_upgrade_roles():
    assert playbook_roles("playbooks/upgrade_nics.yml") == {"nic_model", "iperf_probe", "guest_drivers"}
    assert playbook_roles("playbooks/probe_nics.yml") == {"iperf_probe"}
    assert playbook_entry_points("playbooks/audit_nics.yml") == {("nic_model", "audit")}


# --- job templates --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("jt", list(JOB_TEMPLATES.values()), ids=list(JOB_TEMPLATES))
def test_job_template(jt):
    assert os.path.isfile(os.path.join(ROOT, jt["playbook"])), jt["playbook"]
    assert jt["job_type"] in ("run", "check")
    assert isinstance(jt["ask_variables_on_launch"], bool)
    if not jt["survey_enabled"]:
        assert jt["survey_spec"] == {}
    if playbook_entry_points(jt["playbook"]) - SLICEABLE_ENTRY_POINTS:
        assert jt["job_slice_count"] == 1, "%s: the probe's schedule spans hosts; slices share nothing" % jt["name"]
        assert not jt.get("ask_job_slice_count_on_launch")
        assert jt["allow_simultaneous"] is False, "two jobs at once would share the iperf endpoints"


def test_model_choices_come_from_the_catalogue():
    from ansible_collections.nictune.fleet.plugins.module_utils._common import models

    choices = _catalogue_choices()
    assert choices[0] == "auto" and set(choices[1:]) == {m for p in models.PLATFORMS for m in models.ranking(p)}
    assert choices[1:4] == models.ranking("kvm")[:3]  # best first


def test_issue_templates_exist():
    assert {"NIC audit", "NIC probe", "NIC upgrade"} <= set(JOB_TEMPLATES)
    for name in ("NIC probe", "NIC upgrade"):
        assert JOB_TEMPLATES[name]["survey_enabled"], name


def test_inventory_has_the_groups_the_playbooks_expect():
    groups = {g["name"] for g in OBJECTS["nictune_awx_inventory"]["groups"]}
    assert groups == {"hypervisors", "guests", "iperf_endpoints"}
    text = "".join(open(os.path.join(ROOT, p), encoding="utf-8").read() for p in _all_playbooks())
    for group in groups:
        assert "'%s'" % group in text, group  # default('hypervisors'), groups['iperf_endpoints'], ...


def _all_playbooks():
    return sorted({jt["playbook"] for jt in JOB_TEMPLATES.values()} | {"roles/iperf_probe/meta/argument_specs.yml"})


def test_notifications_off_by_default():
    assert OBJECTS["nictune_awx_notifications_enabled"] is False
    conf = OBJECTS["nictune_awx_notification"]["notification_configuration"]
    assert conf["password"].startswith("{{"), "secrets are variables, not values"


# --- workflow -------------------------------------------------------------------------------------------------------
WF = WORKFLOWS["NIC upgrade (approved)"]
NODES = {n["identifier"]: n for n in WF["workflow_nodes"]}


def _edges(node, kind):
    return [e["identifier"] for e in (node.get("related") or {}).get(kind, [])]


def _ujt(node):
    ujt = node["unified_job_template"]
    return ujt["type"], ujt["name"]


def test_workflow_nodes_and_edges_are_consistent():
    assert len(NODES) == len(WF["workflow_nodes"]), "identifiers are unique"
    for node in NODES.values():
        kind, name = _ujt(node)
        assert kind in ("job_template", "workflow_approval"), node["identifier"]
        if kind == "job_template":
            assert name in JOB_TEMPLATES, name
        for edge in ("success_nodes", "failure_nodes", "always_nodes"):
            for target in _edges(node, edge):
                assert target in NODES, (node["identifier"], edge, target)
        if node.get("extra_data"):
            jt = JOB_TEMPLATES[name]
            assert jt["ask_variables_on_launch"], "%s: AWX drops extra_data the template does not prompt for" % name
        if node.get("job_slice_count") is not None:
            assert JOB_TEMPLATES[name].get("ask_job_slice_count_on_launch"), node["identifier"]


def test_workflow_success_path_is_audit_probe_approval_upgrade():
    targets = {
        t for n in NODES.values() for k in ("success_nodes", "failure_nodes", "always_nodes") for t in _edges(n, k)
    }
    roots = [i for i in NODES if i not in targets]
    assert len(roots) == 1, roots
    path, node = [], NODES[roots[0]]
    while node is not None:
        path.append(_ujt(node))
        nxt = _edges(node, "success_nodes")
        assert len(nxt) <= 1, node["identifier"]
        node = NODES[nxt[0]] if nxt else None
    assert path == [
        ("job_template", "NIC audit"),
        ("job_template", "NIC probe"),
        ("workflow_approval", path[2][1]),
        ("job_template", "NIC upgrade"),
    ]
    approval = NODES["approval"]["unified_job_template"]
    assert approval.get("timeout"), "an approval without timeout waits forever"


def test_workflow_failures_stop_and_notify():
    stop_playbook = JOB_TEMPLATES["NIC workflow stop"]["playbook"]
    tasks = [t for play in _load(os.path.join(ROOT, stop_playbook)) for t in play["tasks"]]
    assert any("ansible.builtin.fail" in t for t in tasks), "the stop must fail so that the workflow ends failed"
    for ident, node in NODES.items():
        _kind, name = _ujt(node)
        if name == "NIC workflow stop":
            assert not any(_edges(node, k) for k in ("success_nodes", "failure_nodes", "always_nodes")), ident
            assert node.get("extra_data", {}).get("nictune_awx_stop_reason"), ident
            continue
        failures = _edges(node, "failure_nodes")
        assert len(failures) == 1, "%s needs a failure path" % ident
        assert _ujt(NODES[failures[0]]) == ("job_template", "NIC workflow stop"), ident
        assert not _edges(node, "always_nodes"), ident


def test_workflow_has_no_unreachable_node_and_no_cycle():
    targets = {
        t for n in NODES.values() for k in ("success_nodes", "failure_nodes", "always_nodes") for t in _edges(n, k)
    }
    root = next(i for i in NODES if i not in targets)
    seen, stack = set(), [(root, ())]
    while stack:
        ident, trail = stack.pop()
        assert ident not in trail, "cycle through %s" % ident
        seen.add(ident)
        for k in ("success_nodes", "failure_nodes", "always_nodes"):
            stack.extend((t, (*trail, ident)) for t in _edges(NODES[ident], k))
    assert seen == set(NODES), set(NODES) - seen


# --- execution environment ------------------------------------------------------------------------------------------
def test_execution_environment_definitions():
    ee = _load(os.path.join(ROOT, "execution-environment.yml"))
    assert ee["version"] == 3
    assert ee["images"]["base_image"]["name"]
    deps = ee["dependencies"]
    assert (deps["python"], deps["system"], deps["galaxy"]) == ("requirements.txt", "bindep.txt", "requirements.yml")
    meta = _load(os.path.join(ROOT, "meta", "execution-environment.yml"))
    assert meta == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as f:
        names = {re.split(r"[<>=!~ ;\[]", ln.strip())[0].lower() for ln in f if ln.strip() and not ln.startswith("#")}
    assert {"netaddr", "libvirt-python"} <= names
    with open(os.path.join(ROOT, "bindep.txt"), encoding="utf-8") as f:
        lines = [ln.split("#")[0].strip() for ln in f]
    entries = [ln for ln in lines if ln]
    assert all(re.fullmatch(r"[A-Za-z0-9.+_-]+( \[[a-z0-9:_ !-]+\])?", e) for e in entries), entries
    for pkg in ("libvirt-devel [compile platform:rpm]", "libvirt-dev [compile platform:dpkg]"):
        assert pkg in entries


def _tool(name):
    return shutil.which(name, path=BIN + os.pathsep + os.environ.get("PATH", ""))


@pytest.mark.skipif(_tool("ansible-builder") is None, reason="ansible-builder is not installed")
def test_ansible_builder_create(tmp_path):
    # The definition refers to files relative to itself: give it a copy of them and a freshly built collection.
    for name in ("execution-environment.yml", "requirements.txt", "requirements.yml", "bindep.txt"):
        shutil.copy(os.path.join(ROOT, name), tmp_path / name)
    out = tmp_path / ".build" / "ee" / "collection"
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    subprocess.run(
        [_tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), ROOT],
        check=True,
        capture_output=True,
        env=env,
    )
    ctx = tmp_path / "context"
    proc = subprocess.run(
        [
            _tool("ansible-builder"),
            "create",
            *("-f", str(tmp_path / "execution-environment.yml"), "-c", str(ctx)),
            *("--output-filename", "Containerfile"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (ctx / "Containerfile").read_text()
    assert "COPY _build/requirements.txt requirements.txt" in containerfile
    assert "COPY _build/bindep.txt bindep.txt" in containerfile
    assert "--user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert "ansible-galaxy collection install" in containerfile and "-r requirements.yml" in containerfile
    assert re.search(r"ansible-galaxy collection install .*/tmp/nictune/nictune-fleet-\*\.tar\.gz", containerfile)
    for name in ("requirements.txt", "bindep.txt", "requirements.yml"):
        assert (ctx / "_build" / name).read_text() == open(os.path.join(ROOT, name), encoding="utf-8").read()
    assert glob.glob(str(ctx / "_build" / "nictune" / "nictune-fleet-*.tar.gz"))
