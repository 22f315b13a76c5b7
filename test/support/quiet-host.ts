/**
 * Thresholds no machine-wide metric reaches. Lab servers share this VM's disk, memory and load
 * (namespaces and the nspawn machine read the host's /proc), and CI runs tests side by side, so
 * scenarios that are about a service set these to let only that service decide health.
 */
export const QUIET_HOST_THRESHOLDS = {
  disk: { warn: 99, crit: 100 },
  inodes: { warn: 99, crit: 100 },
  memory: { warn: 99, crit: 100 },
  swap: { warn: 99, crit: 100 },
  load: { warn: 1000, crit: 1000 },
};
