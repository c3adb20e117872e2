"""Case work: intake, running a case, its tasks and deadlines as rows, incidents, and the inbox."""
