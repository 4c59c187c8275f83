"""Tables 1 and 2 of Wang et al. (IIP 2022), transcribed from
``../shared/papers/drsn_dc_wang2022.txt`` (P, R and F1 in %).

**What is comparable.** The paper's data (1,855 whole-specimen ANA images
from a hospital LIS, 9 classes, Table 1) is private. The stand-in is I3A
Task 1 (13,596 single cells, 6 classes). Of the paper's 9 classes, four are
I3A classes by name (homogeneous, nucleolar, centromere, nuclear membrane =
I3A's NuMem); I3A's "speckled" is probably the paper's "nuclear granular"
(Chinese laboratories call the speckled pattern granular), and I3A's Golgi
is a cytoplasmic pattern the paper's list does not name. The paper's
cytoplasmic fibrous, nuclear dot and negative-control classes have no I3A
counterpart. Different images (cells, not specimens), classes and split:
only the **ranking of the rows** can be compared with the paper, not the
numbers.

**F1.** Table 2 prints one F1 column. For AlexNet, GoogLeNet, VGG-19 and
ResNet50 it is the harmonic mean of the printed P and R to all four printed
digits (``tests/drsn_dc/test_paper.py``); for DRSN-DC it is not (the
harmonic mean of 0.9310 and 0.9451 is 0.9380, printed 0.9282): the macro
average of per-class F1, or a typo. The reproduction reports both: ``f1`` =
the macro average of the per-class F1 (scikit-learn's ``average="macro"``),
``f1_hm`` = the harmonic mean of macro P and macro R. The printed F1 is the
paper's value in both columns.
"""
from reproductions.common.paper import (Claim, DatasetSpec, Evidence, PaperSpec, Row,
                                        Table)

#: Table 1: the paper's 9 ANA classes, original and rotation/flip-expanded images.
TABLE1_CLASSES = ("cytoplasmic granular", "cytoplasmic fibrous", "nuclear dot",
                  "nuclear granular", "nuclear membrane", "nucleolar", "homogeneous",
                  "centromere", "negative control")
TABLE1_ORIGINAL = (208, 183, 196, 213, 223, 209, 188, 215, 220)
TABLE1_EXPANDED = (29952, 26352, 28224, 30672, 32112, 30096, 27072, 30960, 31680)
#: §4.1: rotations in 5° steps (72 angles), each also flipped about the
#: vertical axis: 144 versions of every image (Table 1: expanded = 144 × original).
ROTATION_STEP = 5
ROTATIONS = 360 // ROTATION_STEP
VERSIONS = 2 * ROTATIONS
#: §4.1: "the original image is cut to 24×224 pixel size" (224×224).
INPUT_SIZE = 224
#: I3A Task 1 class -> the paper's class it corresponds to (None: none).
I3A_TO_PAPER = {"homogeneous": "homogeneous", "nucleolar": "nucleolar",
                "centromere": "centromere", "numem": "nuclear membrane",
                "speckled": "nuclear granular",  # probably: see the module docstring
                "golgi": None}

METRICS = ("precision", "recall", "f1", "f1_hm")


def _row(key, label, p, r, f1):
    return Row(key, label, {"precision": p, "recall": r, "f1": f1, "f1_hm": f1})


def harmonic_mean(p: float, r: float) -> float:
    return 2 * p * r / (p + r)


#: DRSN-DC's row of Table 2 as printed: P, R, F1 (see the module docstring).
DRSN_DC_PRINTED = (93.10, 94.51, 92.82)
#: The resnet50 row's printed F1, the baseline of the paper's claim.
RESNET50_PRINTED_F1 = 85.87
_HM = harmonic_mean(*DRSN_DC_PRINTED[:2])
F1_NOTE = (f"DRSN-DC's printed F1, {DRSN_DC_PRINTED[2]:.2f}, is not the harmonic mean of its "
           f"own printed P and R ({DRSN_DC_PRINTED[0]:.2f} and {DRSN_DC_PRINTED[1]:.2f} give "
           f"{_HM:.2f}); the paper's value in both F1 columns stays the printed one, so the "
           f"paper's DRSN-DC − ResNet50 gap is "
           f"{DRSN_DC_PRINTED[2] - RESNET50_PRINTED_F1:+.2f} F1 points as printed and "
           f"{_HM - RESNET50_PRINTED_F1:+.2f} from its P and R.")


PAPER = PaperSpec(
    key="drsn_dc",
    order=5,  # the suite's listings: the order the reproductions were added
    title="DRSN-DC: deep residual shrinkage network with dilated convolution for HEp-2 images",
    citation=("C. Wang, T. He, J. Liu, D. Li, Y. Wen. A HEp-2 Cell Image Classification "
              "Model Based on Deep Residual Shrinkage Network Combined with Dilated "
              "Convolution. IIP 2022, IFIP AICT 643, pp. 409–418 "
              "(doi:10.1007/978-3-031-03948-5_33; hal-04178747)."),
    source="drsn_dc_wang2022.txt",
    datasets={"data": DatasetSpec("i3a_task1", "synthetic_hep2", config="dri_blocks",
                                   synthetic_config="default")},
    tables=(
        Table(
            key="table2",
            title="Table 2: ANA recognition performance (macro P, R, F1; stand-in data)",
            metrics=METRICS,
            rows=(
                _row("alexnet", "AlexNet", 70.81, 72.33, 71.56),
                _row("googlenet", "GoogLeNet", 88.83, 77.59, 82.83),
                _row("vgg19", "VGG-19", 79.12, 83.31, 81.16),
                _row("resnet50", "Resnet50", 84.77, 86.99, RESNET50_PRINTED_F1),
                _row("drsn_dc", "DRSN-DC", *DRSN_DC_PRINTED),
            ),
            note="The paper's numbers are on its private 9-class whole-specimen ANA "
                 "images; ours on I3A Task 1 cells (6 classes, specimen-block split): "
                 "only the ranking of the rows is comparable. The paper prints one F1, "
                 "shown beside both of ours: `macro F1` = mean of the per-class F1, "
                 "`F1 = harmonic mean` of macro P and R (the printed F1 is the latter "
                 "for every row but DRSN-DC). " + F1_NOTE,
        ),
        Table(
            key="ablation",
            title="Ablation (not in the paper): ResNet50 → + shrinkage → + dilated module "
                  "→ + fusion (first seed)",
            metrics=METRICS,
            rows=(
                Row("resnet50", "ResNet50", {}),
                Row("drsn", "+ shrinkage (RSBU-CW in every unit)", {}),
                Row("drsn_dilated", "+ dilated-convolution module", {}),
                Row("drsn_dc", "+ multi-scale fusion = DRSN-DC", {}),
            ),
            note="Each step adds one of DRSN-DC's three modules; same protocol, first "
                 "seed only. The first and last rows are the Table 2 runs of that seed.",
        ),
    ),
    trained_rows=("alexnet", "googlenet", "vgg19", "resnet50", "drsn_dc"),
    claims=(Claim("drsn_dc_minus_resnet50", "table2", "resnet50", "drsn_dc", "f1"),
            Claim("drsn_dc_minus_resnet50_f1_hm", "table2", "resnet50", "drsn_dc", "f1_hm")),
    evidence=(Evidence("", "committed table (I3A stand-in)"),),
    stand_in_data=True,  # the paper's 9-class whole-specimen ANA images are private
)
