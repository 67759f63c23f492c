"""Assessment periods, their imported results, which indicators are weak, and the tasks drafted from them."""
