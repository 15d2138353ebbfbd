"""Every plot of the course. Functions take what they draw as arguments and return the figure."""
