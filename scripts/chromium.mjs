// Debian's Chromium (never a downloaded browser) and the flags every headless run here uses:
// the Playwright tests and the Chromium benchmarks. CHROMIUM_PATH overrides the binary.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Containers (CI's among them) often mount a 64 MB /dev/shm; Chromium keeps big bitmaps and
  // downloads there (a 4096 px PNG export is 32 MB) and its renderer dies when it fills up.
  '--disable-dev-shm-usage',
];

export const CHROMIUM = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
};
