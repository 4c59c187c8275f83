"""Table 1 of Swati, Sharma & Vig, transcribed from
``../shared/papers/super_xception_swati2019.txt`` (test accuracy, %)."""
from reproductions.common.paper import (Claim, DatasetSpec, Evidence, PaperSpec, Row,
                                        Table)

PAPER = PaperSpec(
    key="super_xception",
    order=1,  # the suite's listings: the order the reproductions were added
    portable=True,  # reproductions.portable runs its paper profile (portable/papers.py)
    title="Super-Xception: low-resolution chromosome classification",
    citation=("Swati, M. Sharma, L. Vig. Automatic Classification of Low-Resolution "
              "Chromosomal Images. (TCS Research)"),
    source="super_xception_swati2019.txt",
    datasets={"data": DatasetSpec("bioimlab_chromosomes", "synthetic_chromosomes")},
    tables=(
        Table(
            key="table1",
            title="Table 1: test accuracy on BioImLab chromosomes (24 classes)",
            metrics=("aca",),
            rows=(
                Row("deep_cnn", "Traditional Deep CNN [31]", {"aca": 87.50}),
                Row("resnet50", "ResNet-50 [17]", {"aca": 87.64}),
                Row("super_alexnet", "Super-AlexNet [7]", {"aca": 89.30}),
                Row("super_resnet", "Super-ResNet", {"aca": 90.55}),
                Row("xception", "Xception network [8]", {"aca": 91.80}),
                Row("super_xception", "Super-Xception (proposed)", {"aca": 92.36}),
            ),
        ),
        Table(
            key="ablation",
            title="Length-normalisation ablation (not in the paper; seed 0 only)",
            metrics=("aca",),
            rows=(
                Row("super_xception_ln", "Super-Xception, length normalisation on", {}),
                Row("super_xception_no_ln", "Super-Xception, length normalisation off", {}),
            ),
            note="The paper applies length normalisation to every image and reports "
                 "no ablation; both rows are this suite's own runs.",
        ),
    ),
    claims=(Claim("super_xception_minus_xception", "table1", "xception", "super_xception",
                  "aca"),),
    evidence=(Evidence("", "committed table at 72 px"),
              Evidence("input_size_128", "same command at 128 px")),
)
