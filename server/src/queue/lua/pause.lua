-- ARGV: base, paused (1/0). Sets or clears the queue's paused flag.
read_meta().paused = tonumber(ARGV[2])
save_meta()
return 1
