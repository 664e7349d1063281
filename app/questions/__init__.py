"""Questions (咨询): asked by the public, answered by the window, kept as an FAQ."""
