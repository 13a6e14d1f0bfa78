// Property tests of the retention plan over random project histories: deploys of production and preview
// branches that end ready, failed, canceled or still running, promotions, rollbacks, domain pins, earlier
// sweeps and time passing. The plan must keep everything the policy names and delete exactly the rest.
import type { DeploymentStatus, Environment, RouteKind } from "@miaobu/db";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type PlanDeployment,
  type PlanInput,
  type PlanRoute,
  planRetention,
} from "../src/services/retention/plan.ts";

const DAY = 24 * 60 * 60 * 1000;
const BRANCHES = ["main", "feature-a", "feature-b", "fix"] as const;
const OUTCOMES: DeploymentStatus[] = [
  "ready",
  "ready",
  "ready",
  "failed",
  "canceled",
  "superseded",
  "uploading",
  "queued",
  "building",
];

type Event =
  | { type: "deploy"; branch: number; outcome: number }
  | { type: "promote"; pick: number }
  | { type: "rollback" }
  | { type: "pin"; domain: number; pick: number | null; verified: boolean }
  | { type: "wait"; ms: number }
  | { type: "swept"; pick: number };

const event: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant("deploy" as const),
      branch: fc.nat(3),
      outcome: fc.nat(OUTCOMES.length - 1),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("promote" as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("rollback" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("pin" as const),
      domain: fc.nat(2),
      pick: fc.option(fc.nat(50), { nil: null }),
      verified: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 4 * DAY }) }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("swept" as const), pick: fc.nat(50) }) },
);

// Small limits and short ages, so that histories of a few dozen events reach every rule.
const settings = fc.record({
  retainProduction: fc.integer({ min: 1, max: 3 }),
  retainPreview: fc.integer({ min: 1, max: 3 }),
  retainDays: fc.constantFrom(0, 0, 1, 2, 7),
  skewDays: fc.integer({ min: 0, max: 6 }),
});

const history = fc.array(event, { minLength: 5, maxLength: 80, size: "max" });

interface Model {
  deployments: PlanDeployment[];
  routes: Map<string, PlanRoute>;
  production: string | null;
  pins: Map<string, string | null>;
  verified: Set<string>;
  history: string[];
  now: number;
}

/** Replays a history the way the API routes it: own hosts, branch aliases, production with skew, domains. */
function replay(events: Event[], skewDays: number): Model {
  const m: Model = {
    deployments: [],
    routes: new Map(),
    production: null,
    pins: new Map(),
    verified: new Set(),
    history: [],
    now: 1_800_000_000_000,
  };
  const route = (host: string, deploymentId: string, kind: RouteKind, moveSkew = false) => {
    const old = m.routes.get(host);
    const moved = old !== undefined && old.deploymentId !== deploymentId;
    m.routes.set(host, {
      deploymentId,
      kind,
      previousDeploymentId: moveSkew && moved ? old.deploymentId : (old?.previousDeploymentId ?? null),
      previousUntil: moveSkew && moved ? m.now + skewDays * DAY : (old?.previousUntil ?? null),
    });
  };
  const makeProduction = (id: string) => {
    route("production", id, "production", true);
    m.production = id;
    m.history.push(id);
    for (const [domain, pin] of m.pins)
      if (pin === null && m.verified.has(domain)) route(domain, id, "custom", true);
  };
  const ready = () => m.deployments.filter((d) => d.status === "ready");
  for (const e of events) {
    if (e.type === "wait") m.now += e.ms;
    else if (e.type === "deploy") {
      const branch = BRANCHES[e.branch] ?? "main";
      const environment: Environment = branch === "main" ? "production" : "preview";
      const status = OUTCOMES[e.outcome] ?? "ready";
      const id = `dpl_${String(m.deployments.length).padStart(4, "0")}`;
      m.deployments.push({ id, status, environment, createdAt: m.now });
      if (status === "ready") {
        route(`own-${id}`, id, "deployment");
        route(`branch-${branch}`, id, "branch");
        if (environment === "production") makeProduction(id);
      }
    } else if (e.type === "promote") {
      const target = ready()[e.pick % Math.max(1, ready().length)];
      if (target) makeProduction(target.id);
    } else if (e.type === "rollback") {
      const previous = [...m.history]
        .reverse()
        .find((id) => id !== m.production && ready().some((d) => d.id === id));
      if (previous) makeProduction(previous);
    } else if (e.type === "pin") {
      const domain = `domain-${e.domain}`;
      const target = e.pick === null ? null : (ready()[e.pick % Math.max(1, ready().length)]?.id ?? null);
      m.pins.set(domain, target);
      if (e.verified) m.verified.add(domain);
      const serve = target ?? m.production;
      if (m.verified.has(domain) && serve) route(domain, serve, "custom");
    } else {
      // An earlier sweep deleted a deployment nothing pointed at.
      const candidates = m.deployments.filter(
        (d) =>
          d.status !== "deleted" &&
          d.id !== m.production &&
          ![...m.routes.values()].some(
            (r) => r.kind !== "deployment" && (r.deploymentId === d.id || r.previousDeploymentId === d.id),
          ) &&
          ![...m.pins.values()].includes(d.id) &&
          ["ready", "failed", "canceled", "superseded"].includes(d.status),
      );
      const victim = candidates[e.pick % Math.max(1, candidates.length)];
      if (victim) victim.status = "deleted";
    }
  }
  return m;
}

const newestFirst = (a: PlanDeployment, b: PlanDeployment) =>
  b.createdAt - a.createdAt || b.id.localeCompare(a.id);

/** The policy written out plainly, as the oracle: every id it keeps, with no ranking between reasons. */
function oracle(input: PlanInput): Set<string> {
  const keep = new Set<string>();
  const live = input.deployments.filter((d) => d.status !== "deleted");
  if (input.project.productionDeploymentId) keep.add(input.project.productionDeploymentId);
  for (const r of input.routes) {
    if (r.kind === "deployment") continue;
    keep.add(r.deploymentId);
    if (r.previousDeploymentId && r.previousUntil !== null && r.previousUntil > input.now)
      keep.add(r.previousDeploymentId);
  }
  for (const pin of input.pins) keep.add(pin);
  for (const d of live) {
    const abandoned = d.status === "uploading" && input.now - d.createdAt >= DAY;
    if (!["ready", "failed", "canceled", "superseded"].includes(d.status) && !abandoned) keep.add(d.id);
    if (input.now - d.createdAt < input.project.retainDays * DAY) keep.add(d.id);
  }
  const ready = live.filter((d) => d.status === "ready").sort(newestFirst);
  for (const d of ready
    .filter((x) => x.environment === "production")
    .slice(0, input.project.retainProduction))
    keep.add(d.id);
  for (const d of ready.filter((x) => x.environment === "preview").slice(0, input.project.retainPreview))
    keep.add(d.id);
  return new Set(live.filter((d) => keep.has(d.id)).map((d) => d.id));
}

function inputOf(
  m: Model,
  s: { retainProduction: number; retainPreview: number; retainDays: number },
): PlanInput {
  return {
    project: { productionDeploymentId: m.production, ...s },
    deployments: m.deployments,
    routes: [...m.routes.values()],
    pins: [...m.pins.values()].flatMap((p) => (p === null ? [] : [p])),
    now: m.now,
  };
}

describe("planRetention", () => {
  it("keeps what the policy names and deletes exactly the rest", () => {
    fc.assert(
      fc.property(settings, history, (s, events) => {
        const m = replay(events, s.skewDays);
        const input = inputOf(m, s);
        const plan = planRetention(input);
        const live = m.deployments.filter((d) => d.status !== "deleted").map((d) => d.id);
        const kept = [...plan.keep.keys()];
        // A partition of the deployments not already deleted.
        expect(new Set([...kept, ...plan.delete]).size).toBe(kept.length + plan.delete.length);
        expect([...kept, ...plan.delete].sort()).toEqual([...live].sort());
        // Exactly the oracle's set.
        expect(new Set(kept)).toEqual(oracle(input));
      }),
      { numRuns: 500 },
    );
  });

  it("never deletes production, an alias, a pin, a skew fallback, a young or an unfinished deployment", () => {
    fc.assert(
      fc.property(settings, history, (s, events) => {
        const m = replay(events, s.skewDays);
        const plan = planRetention(inputOf(m, s));
        const doomed = new Set(plan.delete);
        if (m.production) {
          expect(doomed.has(m.production)).toBe(false);
          expect(plan.keep.get(m.production)).toBe("production");
        }
        for (const r of m.routes.values()) {
          if (r.kind !== "deployment") expect(doomed.has(r.deploymentId)).toBe(false);
          if (r.previousDeploymentId && (r.previousUntil ?? 0) > m.now)
            expect(doomed.has(r.previousDeploymentId)).toBe(false);
        }
        for (const pin of m.pins.values()) if (pin) expect(doomed.has(pin)).toBe(false);
        for (const d of m.deployments) {
          if (!doomed.has(d.id)) continue;
          // An upload left `uploading` for a day was abandoned; anything else unfinished stays.
          if (d.status === "uploading") expect(m.now - d.createdAt).toBeGreaterThanOrEqual(DAY);
          else expect(["ready", "failed", "canceled", "superseded"]).toContain(d.status);
          expect(m.now - d.createdAt).toBeGreaterThanOrEqual(s.retainDays * DAY);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the newest N ready production and M ready preview deployments, and deletes older ready ones", () => {
    fc.assert(
      fc.property(settings, history, (s, events) => {
        const m = replay(events, s.skewDays);
        const plan = planRetention(inputOf(m, s));
        for (const [env, n] of [
          ["production", s.retainProduction],
          ["preview", s.retainPreview],
        ] as const) {
          const ready = m.deployments
            .filter((d) => d.status === "ready" && d.environment === env)
            .sort(newestFirst);
          for (const d of ready.slice(0, n)) expect(plan.keep.has(d.id)).toBe(true);
          // Beyond the newest N, an old ready deployment nothing points at goes.
          const pointed = new Set([
            ...[...m.routes.values()].filter((r) => r.kind !== "deployment").map((r) => r.deploymentId),
            ...[...m.routes.values()].flatMap((r) =>
              r.previousDeploymentId && (r.previousUntil ?? 0) > m.now ? [r.previousDeploymentId] : [],
            ),
            ...[...m.pins.values()].flatMap((p) => (p ? [p] : [])),
            ...(m.production ? [m.production] : []),
          ]);
          for (const d of ready.slice(n)) {
            if (!pointed.has(d.id) && m.now - d.createdAt >= s.retainDays * DAY)
              expect(plan.delete).toContain(d.id);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("deletes nothing already deleted and lists deletions newest first", () => {
    fc.assert(
      fc.property(settings, history, (s, events) => {
        const m = replay(events, s.skewDays);
        const plan = planRetention(inputOf(m, s));
        const byId = new Map(m.deployments.map((d) => [d.id, d]));
        for (const id of plan.delete) expect(byId.get(id)?.status).not.toBe("deleted");
        const created = plan.delete.map((id) => byId.get(id)?.createdAt ?? 0);
        expect(created).toEqual([...created].sort((a, b) => b - a));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps everything with generous settings", () => {
    const m = replay(
      [
        { type: "deploy", branch: 0, outcome: 0 },
        { type: "deploy", branch: 1, outcome: 3 },
        { type: "wait", ms: DAY },
        { type: "deploy", branch: 0, outcome: 0 },
      ],
      1,
    );
    const plan = planRetention(inputOf(m, { retainProduction: 10, retainPreview: 20, retainDays: 7 }));
    expect(plan.delete).toEqual([]);
    expect(Object.fromEntries(plan.keep)).toEqual({
      dpl_0000: "skew",
      dpl_0001: "recent",
      dpl_0002: "production",
    });
  });
});
