//! The surnames offered on the registration screen: the most common Chinese surnames, so a
//! new customer taps theirs instead of typing (a kiosk has no pinyin keyboard). Pinyin
//! under each helps customers who read it more easily.

pub const SURNAMES: [(&str, &str); 60] = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("高", "Gao"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("许", "Xu"),
    ("韩", "Han"),
    ("冯", "Feng"),
    ("邓", "Deng"),
    ("曹", "Cao"),
    ("彭", "Peng"),
    ("曾", "Zeng"),
    ("肖", "Xiao"),
    ("田", "Tian"),
    ("董", "Dong"),
    ("袁", "Yuan"),
    ("潘", "Pan"),
    ("于", "Yu"),
    ("蒋", "Jiang"),
    ("蔡", "Cai"),
    ("余", "Yu"),
    ("杜", "Du"),
    ("叶", "Ye"),
    ("程", "Cheng"),
    ("苏", "Su"),
    ("魏", "Wei"),
    ("吕", "Lü"),
    ("丁", "Ding"),
    ("任", "Ren"),
    ("沈", "Shen"),
    ("姚", "Yao"),
    ("卢", "Lu"),
    ("姜", "Jiang"),
    ("崔", "Cui"),
    ("钟", "Zhong"),
    ("谭", "Tan"),
    ("陆", "Lu"),
    ("汪", "Wang"),
    ("范", "Fan"),
    ("金", "Jin"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn each_surname_once() {
        let mut seen = std::collections::HashSet::new();
        for (han, _) in super::SURNAMES {
            assert!(seen.insert(han), "{han} twice");
            assert_eq!(han.chars().count(), 1);
        }
    }
}
