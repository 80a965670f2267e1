/**
 * A row process's peak RSS, as its peakRssMb reports it: sampled every 50 ms and wherever the row
 * calls sample() (after each iteration). stop() ends the sampling and returns the peak in MB.
 */
export function peakRssSampler(): { sample: () => void; stop: () => number } {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 50);
  return {
    sample,
    stop: () => {
      clearInterval(timer);
      return peak / 2 ** 20;
    },
  };
}
