"""Tables 2, 3(a), 3(b) and 4 of Li & Shen (DLMIA 2017), transcribed from
``../shared/papers/dri_li_shen2017.txt`` (MCA and ACA in %)."""
from reproductions.common.paper import (Claim, DatasetSpec, Evidence, PaperSpec, Row,
                                        Table)

#: Table 2, in the ``i3a_task1`` class order (homogeneous, speckled,
#: nucleolar, centromere, numem, golgi).
TABLE2_I3A = (2494, 2831, 2598, 2741, 2208, 724)
TABLE2_TRAINING = (1596, 1812, 1663, 1754, 1413, 463)
TABLE2_AUGMENTED = (31920, 36240, 33260, 35080, 28260, 27780)
TABLE2_AUGMENTED_TOTAL = 192540
#: §3.2: rotated versions per class -- Golgi every 6° (60), the others every 18° (20).
ROTATION_COPIES = {"golgi": 60, "*": 20}

PAPER = PaperSpec(
    key="dri",
    order=2,  # the suite's listings: the order the reproductions were added
    portable=True,  # reproductions.portable runs its paper profile (portable/papers.py)
    title="Deep Residual Inception (DRI) network for HEp-2 cell classification",
    citation=("Y. Li, L. Shen. A Deep Residual Inception Network for HEp-2 Cell "
              "Classification. DLMIA 2017 (MICCAI workshops), LNCS 10553, pp. 12–20."),
    source="dri_li_shen2017.txt",
    datasets={"data": DatasetSpec("i3a_task1", "synthetic_hep2", config="dri",
                                   synthetic_config="default")},
    tables=(
        Table(
            key="table3a",
            title="Table 3(a): MCA of using the DRI module (I3A test split)",
            metrics=("mca",),
            rows=(
                Row("shallow_inception", "Shallow Inception", {"mca": 96.54}),
                Row("sri", "SRI", {"mca": 97.85}),
                Row("inception", "Inception [16]", {"mca": 97.93}),
                Row("dri", "DRI", {"mca": 98.37}),
            ),
            note="Every network predicts with the sum of its three softmax heads "
                 "(FC1+FC2+FC3), as the paper's DRI does.",
        ),
        Table(
            key="table3b",
            title="Table 3(b): MCA of using auxiliary classifiers (sums of DRI heads)",
            metrics=("mca",),
            rows=(
                Row("dri_3", "DRI_3", {"mca": 96.23}),
                Row("dri_1_3", "DRI_1+3", {"mca": 97.41}),
                Row("dri_2_3", "DRI_2+3", {"mca": 96.23}),
                Row("dri_1_2_3", "DRI_1+2+3", {"mca": 98.37}),
            ),
            note="Each trained DRI gives all four rows (one prediction per set of "
                 "heads); ± std is over the DRI seeds.",
        ),
        Table(
            key="table4",
            title="Table 4: comparison with benchmarking algorithms (I3A test split)",
            metrics=("mca", "aca"),
            rows=(
                Row("vhar", "VHAR [9]", {"mca": 93.60}, reproduced=False),
                Row("bof", "BoF [11]", {"mca": 94.23, "aca": 94.38}, reproduced=False),
                Row("fv", "FV [11]", {"mca": 95.73, "aca": 96.07}, reproduced=False),
                Row("gao", "Gao et al. [11]", {"mca": 96.76, "aca": 97.24},
                    reproduced=False),
                Row("sri", "SRI (ours)", {"mca": 97.85, "aca": 97.98}),
                Row("dri", "DRI (ours)", {"mca": 98.37, "aca": 98.49}),
            ),
            note="VHAR, BoF, FV and Gao et al. are other authors' methods quoted by the "
                 "paper: not reproduced. VHAR has no ACA in the paper.",
        ),
        Table(
            key="sensitivity",
            title="Sensitivity (not in the paper): DRI on a cell-level vs a "
                  "specimen-block split of I3A",
            metrics=("mca", "aca"),
            rows=(
                Row("dri_cells", "DRI, cell-level split (`dri`, the paper's protocol)", {}),
                Row("dri_blocks", "DRI, split by blocks of consecutive IDs "
                                  "(`dri_blocks`, a proxy for specimens)", {}),
            ),
            note="Cells of one specimen come in runs of consecutive IDs; a cell-level "
                 "split puts cells of one specimen in training and test. Both rows are "
                 "first-seed DRI runs with the same protocol; only the split differs "
                 "(see tfds_builders/i3a_task1/README.md).",
        ),
    ),
    claims=(Claim("dri_minus_inception", "table3a", "inception", "dri", "mca"),),
    evidence=(Evidence("", "committed table (first 4,000 iterations at 1e-3)"),
              Evidence("compressed_schedule", "paper's schedule compressed into 4,000 "
                       "iterations", closed="superseded after its seed-0 runs: the cpu "
                       "profile's schedule was replaced (reproductions/dri/profiles.py)"),
              Evidence("cpu_schedule", "paper's decays placed proportionally over the "
                       "learning curve's iterations", rows=("inception", "dri"),
                       plan="seeds 1 and 2 only if DRI and Inception are within 1.0 MCA "
                       "point at seed 0 (reproductions/dri/NOTES.md)")),
)
