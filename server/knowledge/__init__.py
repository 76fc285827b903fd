"""Knowledge in the field (issue 17 part 5): the case library, manuals and training materials per
equipment model, what of them each tablet receives, and a training session's phase."""
