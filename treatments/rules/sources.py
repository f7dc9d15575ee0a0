"""The sources the rules and thresholds name, spelled once."""

GUIDE_EXTRACTION = "guide: Mechanical Extraction"
GUIDE_PEELS = "guide: Chemical Peels"
GUIDE_RETINOIDS = "guide: Topical Retinoids"
GUIDE_CRYO = "guide: Cryotherapy"
GUIDE_LASER = "guide: Laser Ablation"
BERK_BAYLISS = "Berk & Bayliss, J Am Acad Dermatol 2008;59:1050–63"
SAFETY_REVIEW = "Dermatology safety review of the rules (DESIGN §3a, 2026.2)"
