"""Stand-ins for what the tests cannot reach: GitHub's gh and Actions runner, faults, clocks, consumers."""
