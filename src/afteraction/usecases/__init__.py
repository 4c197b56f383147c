"""Operations that cross areas: reading and storing whole documents, closing finished post-mortems, sync, reminders."""
