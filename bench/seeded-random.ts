/** The benchmarks' seeded PRNG (mulberry32): the same one the optimization reports use, so every run (and every child process) generates the same data. */
export { seededRandom } from '../src/optimize/stats.js';
