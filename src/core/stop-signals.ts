/** The signals that stop a process from outside: Ctrl-C, a cancelled job or `kill`, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
