"""Clinical tasks, timelines and scores (eFACE/Sunnybrook-style indices) from measured signals."""
