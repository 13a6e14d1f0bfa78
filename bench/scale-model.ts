// bench/scale-model: what route lookups cost at internet scale (docs/scale.md). A model, not a measurement:
// requests arrive as Poisson processes, hosts are Zipf-popular, PoPs carry unequal shares of the traffic.
// `node bench/scale-model.ts` prints one table row per scenario.

export interface Scenario {
  name: string;
  pops: number;
  /** Router isolates per PoP, each with its own memo. */
  isolatesPerPop: number;
  /** Hosts with any traffic. */
  hosts: number;
  /** Requests per second, all PoPs together. */
  rps: number;
  /** The isolate memo's bound, seconds. */
  memoTtl: number;
  /** The per-colo Cache API tier's lifetime, seconds; 0: no colo tier. */
  coloTtl: number;
  /** D1 read replicas taking reads (0: every read goes to the primary). */
  replicas: number;
  /** Upper-tier caches (Tiered Cache) between the colos and D1; 0: colos read D1 themselves. */
  upperTiers?: number;
}

// Network figures (ms): a far PoP's round trip to the D1 primary's region and to the nearest replica, a
// Cache API lookup in the colo, and D1's own time for a primary-key lookup.
const RTT_PRIMARY_FAR = 200;
const RTT_REPLICA_FAR = 40;
const COLO_LOOKUP = 2;
const RTT_UPPER_TIER_FAR = 30;
const QUERY = 1;
const ZIPF_S = 1.0;
const POP_SKEW = 0.8;

/** Host popularity as (probability, number of hosts sharing it) in geometric rank buckets: Zipf(s). */
function hostBuckets(hosts: number): { p: number; count: number }[] {
  const raw: { weight: number; count: number }[] = [];
  let total = 0;
  for (let start = 1; start <= hosts; ) {
    const end = Math.min(hosts, Math.max(start, Math.floor(start * 1.05)));
    const count = end - start + 1;
    const weight = 1 / ((start + end) / 2) ** ZIPF_S;
    raw.push({ weight, count });
    total += weight * count;
    start = end + 1;
  }
  return raw.map(({ weight, count }) => ({ p: weight / total, count }));
}

/** Each PoP's share of the requests: rank^-POP_SKEW, normalized. */
function popShares(pops: number): number[] {
  const weights = Array.from({ length: pops }, (_, i) => (i + 1) ** -POP_SKEW);
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

/**
 * Lookups per second that miss a cache with bound `ttl` in front of a Poisson stream of `rate` requests/s:
 * for each host (rate λ) a miss, then the first arrival after the bound: λ / (1 + λ·ttl).
 */
function missRate(buckets: { p: number; count: number }[], rate: number, ttl: number): number {
  let sum = 0;
  for (const { p, count } of buckets) {
    const lambda = rate * p;
    sum += (count * lambda) / (1 + lambda * ttl);
  }
  return sum;
}

export interface Outcome {
  scenario: Scenario;
  /** D1 reads per second (all PoPs), and the share the busiest D1 instance takes. */
  d1Reads: number;
  d1ReadsPerInstance: number;
  /** The naive bound: PoPs × isolates × hosts / memo TTL. */
  bound: number;
  /** Cache API lookups per second (memo misses, where there is a colo tier). */
  coloLookups: number;
  /** In a far PoP with a median share of traffic: the fraction of requests that wait for D1. */
  farD1Fraction: number;
  /** Latency the route lookup adds at p99 in that PoP, ms. */
  farP99Ms: number;
}

/** Evaluates one scenario. */
export function evaluate(scenario: Scenario): Outcome {
  const buckets = hostBuckets(scenario.hosts);
  const shares = popShares(scenario.pops);
  let memoMisses = 0;
  let d1Reads = 0;
  for (const share of shares) {
    const popRate = scenario.rps * share;
    const isolateMisses = missRate(buckets, popRate / scenario.isolatesPerPop, scenario.memoTtl);
    memoMisses += isolateMisses * scenario.isolatesPerPop;
    if (!scenario.upperTiers)
      d1Reads +=
        scenario.coloTtl > 0
          ? missRate(buckets, popRate, scenario.coloTtl)
          : isolateMisses * scenario.isolatesPerPop;
  }
  const tiers = scenario.upperTiers ?? 0;
  // Each upper tier serves the colo misses of its share of the PoPs; only its own misses read D1.
  const tierRate = scenario.rps / Math.max(1, tiers);
  const tierMissRatio = tiers > 0 ? missRate(buckets, tierRate, scenario.coloTtl) / tierRate : 1;
  if (tiers > 0) d1Reads = missRate(buckets, tierRate, scenario.coloTtl) * tiers;
  // A far PoP with a median share: its D1 reads and colo lookups as fractions of its requests.
  const median = shares[Math.floor(shares.length / 2)] ?? 0;
  const popRate = scenario.rps * median;
  const memoMissFraction =
    (missRate(buckets, popRate / scenario.isolatesPerPop, scenario.memoTtl) * scenario.isolatesPerPop) /
    popRate;
  const coloMissFraction =
    scenario.coloTtl > 0 ? missRate(buckets, popRate, scenario.coloTtl) / popRate : memoMissFraction;
  const farD1Fraction = coloMissFraction * tierMissRatio;
  const d1Ms = (scenario.replicas > 0 ? RTT_REPLICA_FAR : RTT_PRIMARY_FAR) + QUERY;
  const coloFraction = scenario.coloTtl > 0 ? memoMissFraction : 0;
  // p99: the slowest 1 % of requests. D1 waits first, then colo lookups, then memo hits (0 ms).
  const upperMs = tiers > 0 ? RTT_UPPER_TIER_FAR : 0;
  const farP99Ms =
    farD1Fraction >= 0.01
      ? d1Ms + upperMs
      : coloMissFraction >= 0.01
        ? upperMs + COLO_LOOKUP
        : coloFraction >= 0.01
          ? COLO_LOOKUP
          : 0;
  return {
    scenario,
    d1Reads,
    d1ReadsPerInstance: d1Reads / Math.max(1, scenario.replicas),
    bound: (scenario.pops * scenario.isolatesPerPop * scenario.hosts) / scenario.memoTtl,
    coloLookups: scenario.coloTtl > 0 ? memoMisses : 0,
    farD1Fraction,
    farP99Ms,
  };
}

const base = { pops: 330, memoTtl: 2 };
export const SCENARIOS: Scenario[] = [
  { ...base, name: "today, small", isolatesPerPop: 4, hosts: 10_000, rps: 20_000, coloTtl: 0, replicas: 0 },
  {
    ...base,
    name: "today, large",
    isolatesPerPop: 16,
    hosts: 1_000_000,
    rps: 500_000,
    coloTtl: 0,
    replicas: 0,
  },
  {
    ...base,
    name: "replicas only",
    isolatesPerPop: 16,
    hosts: 1_000_000,
    rps: 500_000,
    coloTtl: 0,
    replicas: 6,
  },
  {
    ...base,
    name: "colo 60 s + replicas",
    isolatesPerPop: 16,
    hosts: 1_000_000,
    rps: 500_000,
    coloTtl: 60,
    replicas: 6,
  },
  {
    ...base,
    name: "colo 300 s + replicas (chosen)",
    isolatesPerPop: 16,
    hosts: 1_000_000,
    rps: 500_000,
    coloTtl: 300,
    replicas: 6,
  },
  {
    ...base,
    name: "colo 300 s, primary only",
    isolatesPerPop: 16,
    hosts: 1_000_000,
    rps: 500_000,
    coloTtl: 300,
    replicas: 0,
  },
  {
    ...base,
    name: "colo 300 s + 6 upper tiers + replicas",
    isolatesPerPop: 16,
    hosts: 1_000_000,
    rps: 500_000,
    coloTtl: 300,
    replicas: 6,
    upperTiers: 6,
  },
  {
    ...base,
    name: "chosen, 10× traffic",
    isolatesPerPop: 32,
    hosts: 5_000_000,
    rps: 5_000_000,
    coloTtl: 300,
    replicas: 6,
  },
];

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en") : n.toFixed(n >= 10 ? 0 : 1));

/** The table docs/scale.md shows. */
export function table(outcomes: Outcome[]): string {
  const rows = outcomes.map(({ scenario: s, ...o }) =>
    [
      s.name,
      `${s.pops} × ${s.isolatesPerPop}`,
      s.hosts.toLocaleString("en"),
      s.rps.toLocaleString("en"),
      `${s.memoTtl} s / ${s.coloTtl ? `${s.coloTtl} s` : "-"}`,
      fmt(o.bound),
      fmt(o.d1Reads),
      fmt(o.d1ReadsPerInstance),
      fmt(o.coloLookups),
      `${(o.farD1Fraction * 100).toFixed(2)} %`,
      `${o.farP99Ms} ms`,
    ].join(" | "),
  );
  return [
    "| scenario | PoPs × isolates | active hosts | req/s | memo / colo TTL | naive bound q/s | D1 reads/s | per D1 instance | colo lookups/s | far PoP: requests waiting for D1 | far PoP: added p99 |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r} |`),
  ].join("\n");
}

if (process.argv[1]?.endsWith("scale-model.ts")) console.log(table(SCENARIOS.map(evaluate)));
