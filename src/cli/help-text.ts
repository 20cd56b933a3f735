/**
 * `simulate --help`. Its own module so printing it loads nothing else (the argument parser pulls in
 * the fault and profile schemas).
 */
export const HELP = `simulate: bring a stack up inside one memory-capped cgroup, load it, and say whether it meets its targets.

Usage
  simulate --profile <name|file> [options]     run the profile's scenario: up, load, verdict, down
  simulate up --profile <name|file> [--json]   start the stack and leave it running
  simulate down [RUN_ID]                       stop a stack left by \`up\` (no id: all of them)
  simulate --target <URL> --rate <R> --duration <S>
                                               load a service that is already running (no stack)
  simulate compare <profile|run-dir> <profile|run-dir>...   [--repeat N]
  simulate compare --profile <name> --variant NAME="--set SERVICE.PATH=VALUE ..." ...
                                               run variants one after another under the same cap,
                                               scenario and data; print and write the table of deltas
  simulate compare --claims [NAME] [--quick]   the seed's claims (Redis, cursor paging, indexes, eager
                                               loading, Prometheus, Grafana) as repeated A/B runs
  simulate capacity --profile <name> [--caps 2g,4g,8g] [--quick] [--cost 4g=400]
                                               highest rate each tier sustains, smallest passing cap, cost
  simulate capacity --target <URL> [--max-avg MS] [--max-p99 MS] [--max-errors 1%]
                                               highest rate a running service sustains (no stack)
  simulate doctor                              what this machine can run (cgroups, swap, programs, Docker)
  simulate setup [--driver docker] [--profile P --data SIZE]
                                               check prerequisites; with docker, build the local images;
                                               with --data, build the kept dataset ahead
  simulate report DIR [DIR…] [--png DIR] [--html FILE]
                                               rebuild report.html of a run, capacity review or comparison;
                                               with several runs, overlay them and write a table of deltas

Profiles: docker/<name>.yml (2gb, 4gb, 8gb, full-elk) or your own Compose file.

Options
  --profile, -p  NAME|FILE   profile to run
  --driver       auto|process|docker   how services run (default auto: docker if an engine and images exist)
  --cap          SIZE        memory cap of the whole stack (default from the profile, e.g. 4g, 3.5GiB, 512m)
  --swap         SIZE        swap the stack may use inside the cap (default 0: none)
  --cpus         N           CPU limit of the stack in cores (default from the profile)
  --data         SIZE|none   seed the database to SIZE (pg_database_size; default from the profile:
                             3g for 4gb); built once, kept under /var/tmp/simulate/datasets, copied cold
  --variant      NAME="ARGS" with compare: a variant of --profile (ARGS: --set ..., repeatable)
  --repeat       N           with compare: runs per variant (default 1; --claims 3, --quick 2)
  --claims                   with compare: run the seed's claims (all, or the one named)
  --quick                    with compare: 10 s warm-up, 15 s judged, 2 of each (a quick look)
  --duration, -d SECONDS     length of the load (stages scaled to fit); with --no-load, how long to watch
  --scenario, -s NAME|FILE   scenario (scenarios/<name>.yaml); default from the profile
  --model        open|closed open: fixed arrival rate, latency from the scheduled send (default);
                             closed: autocannon, for saturation
  --set          SERVICE.PATH=VALUE   change one field of the profile for this run (repeatable), e.g.
                             --set app.environment.CACHE_ENABLED=false, --set grafana.x-simulate.enabled=false,
                             --set x-simulate.cap=3g; validated like the profile; run.json records it
  --no-load                  bring the stack up and watch memory only
  --out          DIR         results folder (default results); each run writes <DIR>/<run-id>/
  --csv          FILE        also write the summary CSV to FILE
  --no-tui                   plain lines instead of the live screen
  --json                     one JSON object per line on stdout
  --interval     MS          memory sampling interval (default 1000)
  --target       URL         load this URL instead of a stack (loopback only unless --allow-remote)
  --rate         R           with --target: requests per second
  --allow-remote             let --target name a non-loopback address
  --docker-host  URL         the Docker engine to use (default DOCKER_HOST, else the local socket):
                             ssh://user@host[:port], tcp://host:port or unix:///path; with ssh the server
                             is the machine under test (its memory is the cap); \`setup --driver docker
                             --docker-host URL\` copies the local images there, \`down --docker-host URL\`
                             reaps what a killed run left there
  --ssh-key      FILE        private key for an ssh:// Docker host (default: the ssh agent)
  --load-from    here|remote with --docker-host: where the load starts (default here: this machine, to a
                             127.0.0.1 listener that ssh carries to the server's loopback; remote: our load
                             engine in a container there, against its own loopback, its seconds streamed back)
  --png          DIR         (report) also write each chart as a PNG into DIR (needs Debian's chromium)
  --html         FILE        (report) where to write the page (default: RUN_DIR/report.html for one run,
                             <--out>/report-<time>.html for several)
  --fault        SPEC        inject a fault during the load (repeatable): KIND ARGS@START[+DURATION], in
                             seconds after the load (or its until-steady warm-up) starts, e.g.
                             "kill postgres@20s", "stop app@20s+10s", "restart redis@30s",
                             "pause redis@30s+10s", "hog 3g@20s+15s", "latency redis 100ms@40s+20s",
                             "loss redis 5%@40s+20s" (user-space proxy: this kernel has no netem),
                             "disk-full redis@30s+10s". Scenarios can list them under \`faults:\`.

Capacity (simulate capacity)
  --caps         SIZES       caps to review, comma-separated (default: the 2gb, 4gb and 8gb tiers' caps)
  --quick                    with capacity: about 5 min: short steps, one confirmation, the search on cold
                             stacks and the verdict after steady state, no smallest-cap search (alone:
                             npm run bench:capacity -- --check-cap)
  --cost         CAP=AMOUNT  monthly cost of a cap, e.g. --cost 4g=400 (default: the tier's x-simulate.cost)
  --max-avg      MS          average latency limit (default: the profile's, or the seed's 60 ms)
  --max-p99      MS          p99 latency limit (default: the profile's, or the seed's 1000 ms)
  --max-errors   SHARE       failed requests allowed (default: the profile's, or the seed's 1%)
  --start-rate   R           first rate of the search (default: the target rate, or 10 with --target)
  --step-time    W,M,C       seconds of each step's warm-up, measured window and confirmation

Exit codes: 0 targets met, 1 targets missed, 2 bad usage or input, 3 environment (cgroups, engine,
ports, programs), 130 interrupted, 70 a bug in simulate.`;
