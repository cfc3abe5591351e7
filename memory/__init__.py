"""Study memory, the step after the assistant: what the student practised and how
it went. The history's storage in the library file (``study_log``), its file format
(``history_file``), mastery per topic, and the one object the edges call, ``StudyMemory``."""
