// BullMQ's side of `zenith-bench --peers`: one phase per run, against the Redis the bench
// started, printing one line of JSON: {"jobs": N, "seconds": S, "jobs_per_s": R}.
//
//   node bullmq.mjs add      --redis URL --jobs N --callers C --warmup-ms W --payload JSON
//   node bullmq.mjs add-bulk --redis URL --jobs N --callers C --batch B --warmup-ms W --payload JSON
//   node bullmq.mjs worker   --redis URL --jobs N --concurrency K --payload JSON
//
// add and add-bulk run like the bench's Zenith phases: callers loop for the warm-up, then the
// clock runs while they add N jobs more. worker pre-adds N jobs (not timed) and times one
// Worker from its first fetch to its N-th completed job.

import { Queue, Worker } from 'bullmq';
import { parseArgs } from 'node:util';

const QUEUE = 'bench';
const JOB_NAME = 'bench.order';
// Zenith keeps completed jobs for its retention window (1 hour by default); BullMQ does the
// same when told to, instead of its default of keeping every completed job forever.
const RETENTION_SECONDS = 3600;
// Callers and batch size that fill the worker's backlog: setup, not measured.
const FILL_CALLERS = 8;
const FILL_BATCH = 500;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    redis: { type: 'string' },
    jobs: { type: 'string' },
    callers: { type: 'string', default: '1' },
    batch: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1' },
    'warmup-ms': { type: 'string', default: '0' },
    payload: { type: 'string' },
  },
});

function positive(name) {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`--${name} must be a whole number, got ${values[name]}`);
  }
  return value;
}

const redis = new URL(values.redis ?? 'redis://127.0.0.1:6379');
const connection = { host: redis.hostname, port: Number(redis.port || 6379) };
const jobs = positive('jobs');
const callers = positive('callers');
const batch = positive('batch');
const warmupMs = positive('warmup-ms');
const data = JSON.parse(values.payload ?? '{}');
const jobOptions = { removeOnComplete: { age: RETENTION_SECONDS } };

function openQueue() {
  return new Queue(QUEUE, { connection, defaultJobOptions: jobOptions });
}

// Runs `callers` loops of `step` (which adds some jobs and says how many) until `more()` says
// stop; every caller has its own Queue, so its own Redis connection, like the bench's callers.
async function loop(queues, step, more) {
  let added = 0;
  await Promise.all(
    queues.map(async (queue) => {
      while (more()) {
        // Not `added += await …`: that would read `added` before the await and lose the
        // other callers' counts.
        const handled = await step(queue);
        added += handled;
      }
    }),
  );
  return added;
}

// Warm-up for `warmupMs`, then the time to add `jobs` jobs more with `size` jobs a step.
async function timeAdds(size, add) {
  const queues = Array.from({ length: callers }, openQueue);
  await Promise.all(queues.map((queue) => queue.waitUntilReady()));
  const warmupEnds = performance.now() + warmupMs;
  await loop(queues, add, () => performance.now() < warmupEnds);
  // Steps are claimed before they start, so exactly `jobs` jobs go in.
  let claimed = 0;
  const started = performance.now();
  const added = await loop(
    queues,
    async (queue) => {
      const take = Math.min(size, jobs - claimed);
      claimed += take;
      return take > 0 ? add(queue, take) : 0;
    },
    () => claimed < jobs,
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(queues.map((queue) => queue.close()));
  return { jobs: added, seconds };
}

function bulk(count) {
  return Array.from({ length: count }, () => ({ name: JOB_NAME, data }));
}

async function addOne() {
  return timeAdds(1, async (queue) => {
    await queue.add(JOB_NAME, data);
    return 1;
  });
}

async function addBulk() {
  return timeAdds(batch, async (queue, count = batch) => {
    const added = await queue.addBulk(bulk(count));
    return added.length;
  });
}

async function worker() {
  const concurrency = positive('concurrency');
  const queue = openQueue();
  const fillers = Array.from({ length: FILL_CALLERS }, () => queue);
  let claimed = 0;
  await loop(
    fillers,
    async (filler) => {
      const take = Math.min(FILL_BATCH, jobs - claimed);
      claimed += take;
      return take > 0 ? (await filler.addBulk(bulk(take))).length : 0;
    },
    () => claimed < jobs,
  );
  const waiting = await queue.getWaitingCount();
  if (waiting !== jobs) {
    throw new Error(`pre-added ${waiting} of ${jobs} jobs`);
  }

  const runner = new Worker(QUEUE, async () => {}, { connection, concurrency, autorun: false });
  await runner.waitUntilReady();
  let completed = 0;
  const drained = new Promise((resolve, reject) => {
    runner.on('completed', () => {
      completed += 1;
      if (completed === jobs) {
        resolve(performance.now());
      }
    });
    runner.on('failed', (job, error) => reject(new Error(`job ${job?.id} failed: ${error}`)));
    runner.on('error', reject);
  });
  const started = performance.now();
  const running = runner.run();
  const finished = await drained;
  await runner.close();
  await running;
  const done = await queue.getCompletedCount();
  await queue.close();
  if (done !== jobs) {
    throw new Error(`${done} of ${jobs} jobs completed`);
  }
  return { jobs: completed, seconds: (finished - started) / 1000 };
}

const phases = { add: addOne, 'add-bulk': addBulk, worker };
const phase = phases[positionals[0]];
if (!phase) {
  throw new Error(`phase must be one of ${Object.keys(phases).join(', ')}, got ${positionals[0]}`);
}
const { jobs: handled, seconds } = await phase();
console.log(JSON.stringify({ jobs: handled, seconds, jobs_per_s: handled / seconds }));
