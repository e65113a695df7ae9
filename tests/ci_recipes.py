"""The CI recipes of contrib/ci, read as GitHub and GitLab read them, and their infraprobe
command run against the sandbox (tests/ci.test starts it and runs this with Debian's
/usr/bin/python3 and python3-yaml).

For each file: the YAML parses; one job runs `infraprobe --once --format junit --output FILE`;
the job has services, and the report FILE is published even when the job fails (GitHub: a
later step with `if: always()` names it; GitLab: artifacts:reports:junit with when: always).
The command then runs as written, in a copy of contrib/ci, with `infraprobe` on PATH being
the build's, and with the job's variables that name its services (REDIS_ADDR, MYSQL_DSN)
pointed at the sandbox instead; it must exit 0 and leave FILE, valid against
tests/junit.xsd, with one testsuite per probe of contrib/ci/infra-ci.conf and no failure.

Usage: ci_recipes.py TOP_SRCDIR WORKDIR (environment: INFRAPROBE, INFRAPROBE_PLUGIN_PATH,
XMLLINT, and the sandbox's REDIS_ADDR and MYSQL_ADDR). Prints "ok: ..." per assertion and
"FAIL: ..." per failure; exits 1 when any failed.
"""

import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

failures = 0


def ok(what):
    print("ok: " + what)


def fail(what):
    global failures
    failures += 1
    print("FAIL: " + what, file=sys.stderr)


# The job variables that name a service, and the sandbox variable to use instead.
SERVICE_VARS = {"REDIS_ADDR": "REDIS_ADDR", "MYSQL_DSN": "MYSQL_ADDR"}


def infraprobe_line(text):
    """The line of a shell script that runs infraprobe --once, or None."""
    for line in (text or "").replace("\\\n", " ").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if words and words[0] == "infraprobe" and "--once" in words:
            return line.strip()
    return None


def option(words, *names):
    for i, w in enumerate(words):
        if w in names and i + 1 < len(words):
            return words[i + 1]
        for n in names:
            if n.startswith("--") and w.startswith(n + "="):
                return w[len(n) + 1:]
    return None


def github(doc):
    """(command, variables, report) of the workflow's infraprobe step."""
    found = []
    for name, job in (doc.get("jobs") or {}).items():
        steps = job.get("steps") or []
        for i, step in enumerate(steps):
            line = infraprobe_line(step.get("run"))
            if not line:
                continue
            env = dict(doc.get("env") or {})
            env.update(job.get("env") or {})
            env.update(step.get("env") or {})
            if not job.get("services"):
                fail("github: job %s has no services to check" % name)
            words = shlex.split(line)
            report = option(words, "--output", "-o")
            published = [
                s for s in steps[i + 1:]
                if str(s.get("if", "")).replace(" ", "") == "always()"
                and report in yaml.safe_dump(s.get("with") or {})
            ]
            if published:
                ok("github: a later step publishes %s if: always()" % report)
            else:
                fail("github: no later step with if: always() publishes %s" % report)
            found.append((line, env, report))
    return found


def gitlab(doc):
    """(command, variables, report) of the pipeline's infraprobe job."""
    found = []
    for name, job in doc.items():
        if not isinstance(job, dict) or "script" not in job:
            continue
        lines = [infraprobe_line(s) for s in job.get("script") or []]
        lines = [line for line in lines if line]
        if not lines:
            continue
        env = dict((doc.get("variables") or {}))
        env.update(job.get("variables") or {})
        if not job.get("services"):
            fail("gitlab: job %s has no services to check" % name)
        words = shlex.split(lines[0])
        report = option(words, "--output", "-o")
        art = job.get("artifacts") or {}
        if (art.get("reports") or {}).get("junit") == report and art.get("when") == "always":
            ok("gitlab: artifacts:reports:junit is %s, when: always" % report)
        else:
            fail("gitlab: %s is not published as artifacts:reports:junit when: always" % report)
        found.append((lines[0], env, report))
    return found


def check_report(label, path, probes):
    xsd = os.path.join(TOP, "tests", "junit.xsd")
    xmllint = os.environ.get("XMLLINT") or "xmllint"
    r = subprocess.run([xmllint, "--noout", "--schema", xsd, path], capture_output=True,
                       text=True)
    if r.returncode == 0:
        ok("%s: the report is valid against tests/junit.xsd" % label)
    else:
        fail("%s: the report is not valid against tests/junit.xsd: %s" % (label, r.stderr))
        return
    root = ET.parse(path).getroot()
    suites = [s.get("name") for s in root.findall("testsuite")]
    if sorted(suites) == sorted(probes):
        ok("%s: one testsuite per probe (%s)" % (label, ", ".join(suites)))
    else:
        fail("%s: testsuites %s, expected %s" % (label, suites, probes))
    bad = [(s.get("name"), c.get("name"), (c[0].get("message") if len(c) else ""))
           for s in root.findall("testsuite") for c in s.findall("testcase")
           if c.find("failure") is not None or c.find("error") is not None]
    if not bad and root.get("failures") == "0" and root.get("errors") == "0":
        ok("%s: every check passed against the sandbox" % label)
    else:
        fail("%s: failed checks: %s" % (label, bad))


def run(label, line, env, report, work):
    # The command as written, from the top of a checkout holding contrib/ci.
    top = os.path.join(work, label)
    shutil.copytree(os.path.join(TOP, "contrib", "ci"), os.path.join(top, "contrib", "ci"))
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir, exist_ok=True)
    wrapper = os.path.join(bindir, "infraprobe")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nexec "%s" --plugin-dir "%s" "$@"\n'
                % (os.environ["INFRAPROBE"], os.environ["INFRAPROBE_PLUGIN_PATH"]))
    os.chmod(wrapper, 0o755)
    child = dict(os.environ)
    for k, v in env.items():
        child[k] = str(v)
    for var, sandbox_var in SERVICE_VARS.items():
        if var not in env:
            fail("%s: the job does not set %s (the service's address)" % (label, var))
            return
        child[var] = os.environ[sandbox_var]
    child["PATH"] = bindir + os.pathsep + child.get("PATH", "")
    try:
        r = subprocess.run(["/bin/sh", "-c", line], cwd=top, env=child, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fail("%s: %s did not finish in 120 s" % (label, line))
        return
    if r.returncode == 0:
        ok("%s: `%s` exits 0 against the sandbox" % (label, line))
    else:
        fail("%s: `%s` exited %d: %s" % (label, line, r.returncode, r.stderr[-2000:]))
    path = os.path.join(top, report)
    if not os.path.exists(path):
        fail("%s: no report %s" % (label, report))
        return
    check_report(label, path, probes_of(os.path.join(top, "contrib", "ci", "infra-ci.conf")))


def probes_of(conf):
    names = []
    with open(conf) as f:
        for line in f:
            line = line.strip()
            if line.startswith("name = \""):
                names.append(line.split('"')[1])
    return names


def main():
    global TOP
    TOP, work = sys.argv[1], sys.argv[2]
    recipes = [("github", "github-actions.yml", github), ("gitlab", "gitlab-ci.yml", gitlab)]
    for label, name, reader in recipes:
        path = os.path.join(TOP, "contrib", "ci", name)
        try:
            with open(path) as f:
                doc = yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as e:
            fail("%s: %s does not parse: %s" % (label, name, e))
            continue
        ok("%s: %s parses" % (label, name))
        found = reader(doc)
        if len(found) != 1:
            fail("%s: %d infraprobe --once commands, expected 1" % (label, len(found)))
            continue
        line, env, report = found[0]
        words = shlex.split(line)
        if option(words, "--format", "-f") == "junit" and report:
            ok("%s: %s" % (label, line))
        else:
            fail("%s: `%s` is not --format junit --output FILE" % (label, line))
            continue
        run(label, line, env, report, work)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
